import AddressSet
import Netfilter
import PropertyBased
import TestSupport
import Testing

/// Elements in a real kernel, checked through our reader and through `nft`.
@Suite("Kernel elements", .enabled(if: KernelTests.enabled))
struct KernelElementTests {
  static let edges4 = [
    "0.0.0.0/32", "0.0.0.1/32", "0.0.0.0/24", "10.0.0.0/24", "1.2.3.4/32", "255.255.255.0/24",
    "255.255.255.255/32", "128.0.0.0/1",
  ]
  static let edges6 = [
    "::/128", "::1/128", "2001:db8::/48", "2001:db8:1::1/128",
    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00/120", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128",
  ]

  /// Each edge case alone round-trips, and `nft` sees the same addresses.
  @Test func edgesRoundTripOneByOne() async throws {
    try await withThrowawayNamespace { ns in
      let backend = try NetlinkBackend(networkNamespace: ns.path)
      for text in Self.edges4 {
        try backend.install(addresses(text))
        #expect(try backend.ranges4() == [v4(text)], "\(text)")
        #expect(
          try ns.nftAddresses(of: setV4, as: IPv4Address.self).ranges == [v4(text)], "\(text)")
      }
      for text in Self.edges6 {
        try backend.install(addresses(text))
        #expect(try backend.ranges6() == [v6(text)], "\(text)")
        #expect(
          try ns.nftAddresses(of: setV6, as: IPv6Address.self).ranges == [v6(text)], "\(text)")
      }
    }
  }

  /// Membership at the borders, asked of the kernel through `nft get element`.
  @Test func membershipAtTheBorders() async throws {
    try await withThrowawayNamespace { ns in
      let backend = try NetlinkBackend(networkNamespace: ns.path)
      try backend.install(
        addresses(
          "10.0.0.0/24", "255.255.255.0/24", "0.0.0.0/32", "2001:db8::/48",
          "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00/120"))
      let expectations4 = [
        ("0.0.0.0", true), ("0.0.0.1", false), ("9.255.255.255", false), ("10.0.0.0", true),
        ("10.0.0.255", true),
        ("10.0.1.0", false), ("255.255.254.255", false), ("255.255.255.0", true),
        ("255.255.255.255", true),
      ]
      for (address, member) in expectations4 {
        #expect(try ns.nftContains(address, set: setV4) == member, "\(address)")
      }
      let expectations6 = [
        ("2001:db8::", true), ("2001:db8:0:ffff:ffff:ffff:ffff:ffff", true),
        ("2001:db8:1::", false),
        ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:feff", false),
        ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true),
      ]
      for (address, member) in expectations6 {
        #expect(try ns.nftContains(address, set: setV6) == member, "\(address)")
      }
    }
  }

  /// Random allow-lists applied one after the other as diffs (growing, shrinking, splitting
  /// ranges), within a small window so ranges collide often: after each step our read-back,
  /// `nft -j`, and `nft get element` all agree with the model.
  @Test func randomDiffsAgreeWithTheModel() async throws {
    try await withThrowawayNamespace { ns in
      let backend = try NetlinkBackend(networkNamespace: ns.path)
      try backend.install()
      let list = zip(Gen.int(in: 0..<1024), Gen.int(in: 0...6)).array(of: 0...30)
      var applied = 0
      await propertyCheck(count: 25, input: list, list) { items4, items6 in
        let desired4 = IPv4Set(
          prefixes: items4.map {
            IPv4Prefix(IPv4Address(bits: 0x0A00_0000 + UInt32($0.0)), length: 32 - $0.1)
          })
        let desired6 = IPv6Set(
          prefixes: items6.map {
            IPv6Prefix(IPv6Address(bits: (UInt128.max - 1023) + UInt128($0.0)), length: 128 - $0.1)
          })
        do {
          let state = try #require(try backend.readTable(named: table, withElements: true))
          guard
            case .elementsDiffer(let diff4, let diff6) = ruleset.compare(
              state, desired: DualStackSet(v4: desired4, v6: desired6))
          else {
            return
          }
          try backend.apply(
            ruleset.updateTransaction(v4: diff4, v6: diff6), expectedGeneration: state.generation)
          applied += 1
          #expect(try IPv4Set(ranges: backend.ranges4()) == desired4)
          #expect(try IPv6Set(ranges: backend.ranges6()) == desired6)
          #expect(try ns.nftAddresses(of: setV4, as: IPv4Address.self) == desired4)
          #expect(try ns.nftAddresses(of: setV6, as: IPv6Address.self) == desired6)
          for offset in [0, 1, 511, 512, 1023, 1024] {
            let address = IPv4Address(bits: 0x0A00_0000 + UInt32(offset))
            #expect(
              try ns.nftContains(address.description, set: setV4) == desired4.contains(address),
              "\(address)")
          }
        } catch {
          Issue.record(error)
        }
      }
      #expect(applied >= 20)
    }
  }

  /// 100,000 prefixes (90% /32, 10% /24, not touching) in one batch, read back intact.
  @Test func hundredThousandPrefixes() async throws {
    try await withThrowawayNamespace { ns in
      let backend = try NetlinkBackend(networkNamespace: ns.path)
      let set = IPv4Set(ranges: TestPrefixes.spread(count: 100_000).map(\.range))
      #expect(set.ranges.count == 100_000)
      let generation = try backend.install(DualStackSet(v4: set))
      let state = try #require(try backend.readTable(named: table, withElements: true))
      #expect(state.generation == generation)
      #expect(state.elements?[setV4]?.ipv4Ranges == set.ranges)
      #expect(ruleset.compare(state, desired: DualStackSet(v4: set)) == .inSync)
      // 1% churn as one batch, guarded by the generation.
      let churned = IPv4Set(ranges: TestPrefixes.churn(set.ranges, percent: 1))
      let diff = IntervalDiff(current: set.ranges, desired: churned)
      #expect(diff.remove.count == 1000 && diff.add.count == 1000)
      try backend.apply(
        ruleset.updateTransaction(v4: diff, v6: IntervalDiff(current: [], desired: IPv6Set())),
        expectedGeneration: generation)
      #expect(try backend.ranges4() == churned.ranges)
    }
  }

  /// IPv6 needs more messages per batch (about 1,800 elements each); 30,000 ranges of /128
  /// and /48 round-trip.
  @Test func thirtyThousandIPv6Ranges() async throws {
    try await withThrowawayNamespace { ns in
      let backend = try NetlinkBackend(networkNamespace: ns.path)
      let base = UInt128(0x2001_0db8) << 96
      let set = IPv6Set(
        prefixes: (0..<30_000).map { index in
          let block = base + UInt128(index) << 80
          return index % 10 == 9
            ? IPv6Prefix(IPv6Address(bits: block), length: 48)
            : IPv6Prefix(host: IPv6Address(bits: block + 1))
        })
      #expect(set.ranges.count == 30_000)
      try backend.install(DualStackSet(v6: set))
      #expect(try backend.ranges6() == set.ranges)
      #expect(try ns.nftAddresses(of: setV6, as: IPv6Address.self) == set)
    }
  }
}
