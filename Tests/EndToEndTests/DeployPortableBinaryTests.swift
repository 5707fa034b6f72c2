import Foundation
import TestSupport
import Testing

/// The release binary runs on x86_64 Linux with glibc 2.31 or newer (Debian 11, Ubuntu 20.04,
/// Alibaba Cloud Linux 3, RHEL 9), and every package ships the same one.
@Suite("Release binary: glibc 2.31 and newer, the same in every package")
struct DeployPortableBinaryTests {
  /// What every supported system has: glibc's libraries, libgcc_s, and the libnftnl and
  /// libmnl the packages depend on. Not libstdc++ (GCC 8's on Alibaba Cloud Linux 3 is older
  /// than the compiler's), not the Swift runtime.
  static let allowedLibraries: Set<String> = [
    "libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1", "libutil.so.1",
    "ld-linux-x86-64.so.2", "libgcc_s.so.1", "libnftnl.so.11", "libmnl.so.0", "libz.so.1",
  ]

  func withBinary<T>(_ body: (String) throws -> T) async throws -> T {
    try await Deploy.withScratchDirectory { scratch in
      try body(try ReleasePackages.binaryFromDeb(in: scratch))
    }
  }

  /// Every versioned symbol it imports, e.g. ["GLIBC_2.2.5", "GLIBC_2.28"] (objdump -T).
  static func symbolVersions(_ binary: String) throws -> Set<String> {
    let table = try run(["objdump", "-T", binary]).output
    var versions: Set<String> = []
    for line in table.split(separator: "\n") where line.contains("*UND*") {
      for word in line.split(separator: " ") where word.contains("_") && word.first != "_" {
        let version = word.trimmingCharacters(in: CharacterSet(charactersIn: "()"))
        if version.hasPrefix("GLIBC") || version.hasPrefix("GCC") || version.hasPrefix("CXXABI")
          || version.hasPrefix("LIBNFTNL")
        {
          versions.insert(version)
        }
      }
    }
    return versions
  }

  /// "GLIBC_2.28" → [2, 28].
  static func glibcVersion(_ name: String) -> [Int]? {
    guard name.hasPrefix("GLIBC_2.") else { return nil }
    return name.dropFirst("GLIBC_".count).split(separator: ".").compactMap { Int($0) }
  }

  @Test func needsNoGlibcSymbolNewerThan2_31AndNoLibstdcxx() async throws {
    try await withBinary { binary in
      let versions = try Self.symbolVersions(binary)
      let glibc = versions.compactMap(Self.glibcVersion)
      #expect(!glibc.isEmpty, "objdump -T found no GLIBC_ versions: \(versions)")
      let newest = glibc.max { $0.lexicographicallyPrecedes($1) } ?? []
      #expect(
        newest.lexicographicallyPrecedes([2, 32]),
        "it needs glibc \(newest.map(String.init).joined(separator: ".")): \(versions.sorted())")
      #expect(
        !versions.contains { $0.hasPrefix("GLIBCXX") || $0.hasPrefix("CXXABI") },
        "it needs the target's libstdc++: \(versions.sorted())")
    }
  }

  /// DT_RELR (packed relative relocations) is applied by glibc 2.36 and newer only; an older
  /// glibc skips it silently unless the binary also needs the version GLIBC_ABI_DT_RELR.
  @Test func hasNoPackedRelocationsAnOlderGlibcWouldSkip() async throws {
    try await withBinary { binary in
      let dynamic = try run(["readelf", "-d", binary]).output
      let hasRELR = dynamic.contains("(RELR)") || dynamic.contains("(RELRSZ)")
      let versions = try run(["readelf", "-V", binary]).output
      #expect(!hasRELR || versions.contains("GLIBC_ABI_DT_RELR"), "\(dynamic)")
    }
  }

  @Test func linksOnlyLibrariesEverySupportedSystemHas() async throws {
    try await withBinary { binary in
      let dynamic = try run(["readelf", "-d", binary]).output
      let needed = dynamic.split(separator: "\n").filter { $0.contains("(NEEDED)") }.compactMap {
        line -> String? in
        guard let open = line.lastIndex(of: "["), let close = line.lastIndex(of: "]") else {
          return nil
        }
        return String(line[line.index(after: open)..<close])
      }
      #expect(needed.contains("libnftnl.so.11") && needed.contains("libmnl.so.0"), "\(needed)")
      let unexpected = Set(needed).subtracting(Self.allowedLibraries)
      #expect(unexpected.isEmpty, "needs \(unexpected.sorted()), which not every target has")
    }
  }

  /// `--version`: the release, the commit it was built from, the libnftnl it runs with.
  @Test func versionNamesTheCommitAndTheLibnftnlItRunsWith() async throws {
    let head = try run(["git", "-C", Deploy.path("."), "rev-parse", "HEAD"]).output
      .trimmingCharacters(in: .whitespacesAndNewlines)
    try await withBinary { binary in
      let lines = try run([binary, "--version"]).output.split(separator: "\n").map(String.init)
      #expect(lines.first == ReleasePackages.version)
      #expect(
        lines.contains("commit: \(head)")
          || lines.contains("commit: \(head) with uncommitted changes"),
        "\(lines)")
      #expect(lines.contains { $0.hasPrefix("libnftnl: libnftnl.so.11.") }, "\(lines)")
    }
  }

  @Test func theDebTheRPMAndTheTarballShipTheSameBinary() async throws {
    try ReleasePackages.require()
    try await Deploy.withScratchDirectory { scratch in
      try run(["dpkg-deb", "-x", ReleasePackages.deb, "\(scratch)/deb"])
      try run(["mkdir", "\(scratch)/rpm"])
      try run([
        "sh", "-c",
        "cd \"$1\" && rpm2cpio \"$2\" | cpio --quiet -idm ./usr/bin/origin-guard", "sh",
        "\(scratch)/rpm", ReleasePackages.rpm,
      ])
      try run(["tar", "-xzf", ReleasePackages.tarball, "-C", scratch])
      let copies = [
        "\(scratch)/deb/usr/bin/origin-guard", "\(scratch)/rpm/usr/bin/origin-guard",
        "\(scratch)/origin-guard-\(ReleasePackages.version)-linux-x86_64/bin/origin-guard",
      ]
      let sums = try Set(
        copies.map {
          try run(["sha256sum", $0]).output.split(separator: " ").first.map(String.init)
        })
      #expect(sums.count == 1, "the packages ship different binaries: \(sums)")
    }
  }

  @Test func theTarballHoldsWhatAnOperatorInstallsOwnedByRootWithOneMtime() throws {
    try ReleasePackages.require()
    let listing = try run(["tar", "-tvzf", ReleasePackages.tarball]).output
      .split(separator: "\n").map(String.init)
    let top = "origin-guard-\(ReleasePackages.version)-linux-x86_64"
    func entry(_ path: String) -> String? { listing.first { $0.hasSuffix(" \(top)/\(path)") } }
    #expect(entry("bin/origin-guard")?.hasPrefix("-rwxr-xr-x 0/0") == true, "\(listing)")
    for unit in DeploySystemdTests.unitNames {
      #expect(entry("systemd/\(unit)")?.hasPrefix("-rw-r--r-- 0/0") == true, "\(unit)")
    }
    for file in [
      "config.yaml.example", "README.md", "completions/origin-guard.bash",
      "examples/cron.d/origin-guard",
    ] {
      #expect(entry(file) != nil, "\(file) missing from the tarball")
    }
    for example in try Deploy.files(in: "deploy/examples") {
      #expect(entry("examples/\(example)") != nil, "\(example)")
    }
    #expect(listing.allSatisfy { $0.contains(" 0/0 ") }, "an entry not owned by 0/0")
    // One timestamp (SOURCE_DATE_EPOCH) for every entry: columns 4 and 5 are date and time.
    let stamps = Set(
      listing.map {
        $0.split(separator: " ", omittingEmptySubsequences: true)[3...4].joined(separator: " ")
      })
    #expect(stamps.count == 1, "\(stamps)")
  }

  /// SHA256SUMS names the three artifacts and matches them. (That a second build from the same
  /// input gives the same checksums is checked by `scripts/package --check`, which
  /// scripts/test runs before the tests: rebuilding here would rewrite the packages other
  /// tests are reading.)
  @Test func checksumsNameAndMatchTheThreeArtifacts() throws {
    try ReleasePackages.require()
    let sums = try String(contentsOfFile: ReleasePackages.checksums, encoding: .utf8)
    let names = sums.split(separator: "\n").compactMap { $0.split(separator: " ").last }.sorted()
    #expect(
      names == [
        "origin-guard-\(ReleasePackages.version)-1.x86_64.rpm",
        "origin-guard-\(ReleasePackages.version)-linux-x86_64.tar.gz",
        "origin-guard_\(ReleasePackages.version)_amd64.deb",
      ])
    try run([
      "sh", "-c", "cd \"$1\" && sha256sum --check --quiet SHA256SUMS", "sh",
      ReleasePackages.directory,
    ])
  }
}
