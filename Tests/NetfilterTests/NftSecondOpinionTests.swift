import AddressSet
import Foundation
import Netfilter
import TestSupport
import Testing

/// `nft` as a second opinion: what the layer writes is what an operator would have written, and
/// what `nft -f` writes reads back through our reader as the intended structure.
@Suite("nft agrees", .enabled(if: KernelTests.enabled))
struct NftSecondOpinionTests {
  static let defaultText = """
    table inet origin_guard {
    	set allowed_v4 {
    		type ipv4_addr
    		flags interval
    	}

    	set allowed_v6 {
    		type ipv6_addr
    		flags interval
    	}

    	chain input {
    		type filter hook input priority filter - 10; policy accept;
    		tcp dport { 80, 443 } jump guard
    	}

    	chain guard {
    		iifname "lo" accept
    		ct state established,related accept
    		ip saddr @allowed_v4 accept
    		ip6 saddr @allowed_v6 accept
    		counter packets 0 bytes 0 drop
    	}
    }

    """

  static let preroutingText = """
    table inet og_docker {
    	set v4 {
    		type ipv4_addr
    		flags interval
    	}

    	set v6 {
    		type ipv6_addr
    		flags interval
    	}

    	chain prerouting {
    		type filter hook prerouting priority mangle; policy accept;
    		tcp dport { 80, 443, 8443 } fib daddr type local jump guard
    		udp dport 443 fib daddr type local jump guard
    	}

    	chain guard {
    		iifname "lo" accept
    		ip saddr @v4 accept
    		ip6 saddr @v6 accept
    		limit rate 10/minute log prefix "origin-guard drop: "
    		counter packets 0 bytes 0 drop
    	}
    }

    """

  static var prerouting: GuardRuleset {
    var options = GuardRuleset()
    options.tableName = "og_docker"
    options.ipv4SetName = "v4"
    options.ipv6SetName = "v6"
    options.hookMode = .prerouting
    options.ports = [443, 80, 8443]
    options.protocols = [.tcp, .udp]
    options.acceptEstablishedRelated = false
    options.dropLog = GuardRuleset.DropLog()
    return options
  }

  /// The UDP rule has a single port in the prerouting variant; make it so.
  static func udpSinglePort(_ rules: GuardRuleset) -> Table {
    var table = rules.table
    var udpOnly = rules
    udpOnly.ports = [443]
    udpOnly.protocols = [.udp]
    table.chains[0].rules[1] = udpOnly.table.chains[0].rules[0]
    return table
  }

  @Test func defaultRulesetPrintsAsAnOperatorWouldWriteIt() async throws {
    try await withThrowawayNamespace { ns in
      let backend = try NetlinkBackend(networkNamespace: ns.path)
      try backend.install()
      #expect(try ns.nft("list", "ruleset").output == Self.defaultText)
    }
  }

  @Test func preroutingVariantPrintsAsExpected() async throws {
    try await withThrowawayNamespace { ns in
      let backend = try NetlinkBackend(networkNamespace: ns.path)
      var transaction = Transaction()
      transaction.create(Self.udpSinglePort(Self.prerouting))
      try backend.apply(transaction, expectedGeneration: nil)
      #expect(try ns.nft("list", "ruleset").output == Self.preroutingText)
    }
  }

  /// `nft -j` of what we write equals `nft -j` of the same ruleset loaded by `nft -f`, handles
  /// aside; and spot checks of the JSON itself.
  @Test(arguments: [false, true]) func jsonMatchesNftsOwnLoad(prerouting: Bool) async throws {
    let text = prerouting ? Self.preroutingText : Self.defaultText
    let ours = try await withThrowawayNamespace { ns in
      let backend = try NetlinkBackend(networkNamespace: ns.path)
      var transaction = Transaction()
      transaction.create(prerouting ? Self.udpSinglePort(Self.prerouting) : GuardRuleset().table)
      try backend.apply(transaction, expectedGeneration: nil)
      return try ns.nftJSON("list", "ruleset").map(Self.withoutHandles)
    }
    let theirs = try await withThrowawayNamespace { ns in
      try ns.load(ruleset: text)
      return try ns.nftJSON("list", "ruleset").map(Self.withoutHandles)
    }
    #expect(ours.count == theirs.count)
    for (mine, reference) in zip(ours, theirs) {
      #expect(
        NSDictionary(dictionary: mine) == NSDictionary(dictionary: reference),
        "\(mine) vs \(reference)")
    }
    let chains = ours.compactMap { $0["chain"] as? [String: Any] }
    let base = try #require(chains.first { $0["hook"] != nil })
    #expect(base["hook"] as? String == (prerouting ? "prerouting" : "input"))
    #expect(base["prio"] as? Int == (prerouting ? -150 : -10))
    #expect(base["policy"] as? String == "accept")
    let sets = ours.compactMap { $0["set"] as? [String: Any] }
    #expect(sets.map { $0["type"] as? String } == ["ipv4_addr", "ipv6_addr"])
    #expect(sets.allSatisfy { ($0["flags"] as? [String]) == ["interval"] })
  }

  /// Loaded by `nft -f`, read by our reader: the same structure we intend, no drift.
  @Test(arguments: [false, true]) func nftLoadedRulesetReadsBackAsIntended(prerouting: Bool)
    async throws
  {
    try await withThrowawayNamespace { ns in
      try ns.load(ruleset: prerouting ? Self.preroutingText : Self.defaultText)
      let backend = try NetlinkBackend(networkNamespace: ns.path)
      let intended = prerouting ? Self.udpSinglePort(Self.prerouting) : GuardRuleset().table
      let state = try #require(try backend.readTable(named: intended.name, withElements: true))
      #expect(intended.drifts(from: state.table) == [])
      #expect(state.table == intended)
      #expect(state.elements?.values.allSatisfy(\.isEmpty) == true)
    }
  }

  /// Elements written by `nft` (which auto-merges and adds a stray end element to empty sets)
  /// read back as the same ranges.
  @Test func nftWrittenElementsReadBack() async throws {
    try await withThrowawayNamespace { ns in
      try ns.load(ruleset: Self.defaultText)
      try ns.nft(
        "add", "element", "inet", "origin_guard", "allowed_v4",
        "{ 10.0.0.0/24, 1.2.3.4, 192.168.0.1-192.168.0.9, 255.255.255.0/24 }")
      try ns.nft("add", "element", "inet", "origin_guard", "allowed_v6", "{ 2001:db8::/48, ::1 }")
      let backend = try NetlinkBackend(networkNamespace: ns.path)
      #expect(
        try backend.ranges4() == [
          v4("1.2.3.4"), v4("10.0.0.0/24"), v4("192.168.0.1-192.168.0.9"), v4("255.255.255.0/24"),
        ])
      #expect(try backend.ranges6() == [v6("::1"), v6("2001:db8::/48")])
    }
  }

  static func withoutHandles(_ object: [String: Any]) -> [String: Any] {
    object.mapValues { value in
      guard var inner = value as? [String: Any] else { return value }
      inner["handle"] = nil
      return inner
    }
  }
}
