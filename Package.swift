// swift-tools-version:6.1
// The module graph follows the pipeline:
// AddressSources → AddressSet → OriginGuard (plan, guards, reconciler) → Netfilter (transaction) → kernel.
import PackageDescription

/// The link against a glibc 2.31 sysroot that scripts/build-release asks for.
let portableLinkFlags: [String] =
  Context.environment["ORIGIN_GUARD_SYSROOT"].map { sysroot in
    // `-L` of a directory holding only libstdc++.a: searched before the toolchain's
    // directories, so -lstdc++ links the static library. compat.o: what it lacks
    // (scripts/libstdcxx-compat.cc).
    [
      "-Xclang-linker", "--sysroot=\(sysroot)", "-L", "\(sysroot)/origin-guard-static",
      "\(sysroot)/origin-guard-static/compat.o",
    ]
  } ?? []

let package = Package(
  name: "origin-guard",
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "origin-guard", targets: ["OriginGuardCLI"])
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
    .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
    .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.0"),
    .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
    .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.25.0"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
    .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
    .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.0.0"),
    .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.0"),
  ],
  targets: [
    // libnftnl + libmnl, found with pkg-config.
    .systemLibrary(
      name: "CNetfilter",
      pkgConfig: "libnftnl",
      providers: [.apt(["libnftnl-dev", "libmnl-dev"])]
    ),
    // Addresses, prefixes, interval sets and their differences. Pure values, no I/O.
    .target(name: "AddressSet"),
    // Where allow-lists come from: static, file, URL, Alibaba Cloud CDN and ESA.
    .target(
      name: "AddressSources",
      dependencies: [
        "AddressSet",
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
    // The kernel: our nftables table, read and changed in one atomic netlink batch.
    .target(name: "Netfilter", dependencies: ["AddressSet", "CNetfilter"]),
    // Configuration, plan, guards, reconciler, state.
    .target(
      name: "OriginGuard",
      dependencies: [
        "AddressSet", "AddressSources", "Netfilter",
        .product(name: "Logging", package: "swift-log"),
        .product(name: "Yams", package: "Yams"),
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "Prometheus", package: "swift-prometheus"),
      ]
    ),
    // The origin-guard command line.
    .executableTarget(
      name: "OriginGuardCLI",
      dependencies: [
        "OriginGuard",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "UnixSignals", package: "swift-service-lifecycle"),
      ],
      // Release binaries start with fewer pages touched: no dynamic symbol table of 35,000
      // exported Swift symbols for the loader to search. (Packed relative relocations,
      // `-z pack-relative-relocs`, are left out: glibc older than 2.36 silently skips them.)
      // scripts/build-release also sets ORIGIN_GUARD_SYSROOT: the binary is then linked
      // against that Debian 11 sysroot (glibc 2.31) and its static libstdc++, so that it runs
      // on glibc 2.31 and newer (docs/packaging.md). Linker flags only: changing them relinks,
      // it does not recompile.
      linkerSettings: [
        .unsafeFlags(
          ["-use-ld=lld", "-Xlinker", "--no-export-dynamic"] + portableLinkFlags,
          .when(configuration: .release))
      ]
    ),
    // Benchmarks of the address-set core, run by scripts/bench (release build).
    .executableTarget(
      name: "AddressSetBench", dependencies: ["AddressSet"], path: "Benchmarks/AddressSetBench"),
    // Benchmarks of the kernel layer against `nft -f`, run by scripts/bench-kernel (release build, root).
    .executableTarget(
      name: "KernelBench", dependencies: ["Netfilter", "AddressSet"], path: "Benchmarks/KernelBench"
    ),
    // Fuzz targets (Fuzz/), run by scripts/fuzz: under libFuzzer when built with
    // `-sanitize=fuzzer -DLIBFUZZER` (scripts/fuzz --libfuzzer), otherwise with their own
    // random-mutation driver, so that ordinary builds and CI run them too.
    .target(name: "FuzzSupport", path: "Fuzz/Support"),
    .executableTarget(
      name: "FuzzAddressParser", dependencies: ["FuzzSupport", "AddressSet"],
      path: "Fuzz/AddressParser"),
    .executableTarget(
      name: "FuzzConfiguration", dependencies: ["FuzzSupport", "OriginGuard"],
      path: "Fuzz/Configuration"),
    .executableTarget(
      name: "FuzzListParsers", dependencies: ["FuzzSupport", "AddressSources"],
      path: "Fuzz/ListParsers"),
    .executableTarget(
      name: "FuzzSourceAnswers",
      dependencies: [
        "FuzzSupport", "OriginGuard", "AddressSources",
        .product(name: "Logging", package: "swift-log"),
      ],
      path: "Fuzz/SourceAnswers"),
    .executableTarget(
      name: "FuzzNetlinkDump",
      dependencies: ["FuzzSupport", "Netfilter", "CNetfilter", "AddressSet"],
      path: "Fuzz/NetlinkDump", exclude: ["capture-seeds"]),
    .target(
      name: "TestSupport", dependencies: ["Netfilter", "OriginGuard"], path: "Tests/TestSupport"),
    .testTarget(
      name: "AddressSetTests",
      dependencies: [
        "AddressSet", .product(name: "PropertyBased", package: "swift-property-based"),
      ]
    ),
    .testTarget(
      name: "AddressSourcesTests",
      dependencies: [
        "AddressSources", "TestSupport",
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "Crypto", package: "swift-crypto"),
      ]
    ),
    .testTarget(
      name: "NetfilterTests",
      dependencies: [
        "Netfilter", "TestSupport",
        .product(name: "PropertyBased", package: "swift-property-based"),
      ]
    ),
    .testTarget(name: "OriginGuardTests", dependencies: ["OriginGuard", "TestSupport"]),
    // Runs the built origin-guard executable, in throwaway network namespaces.
    .testTarget(name: "EndToEndTests", dependencies: ["TestSupport", "AddressSet"]),
  ]
)
