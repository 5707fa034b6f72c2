import AddressSet
import Netfilter
import TestSupport
import Testing

/// Changes an operator makes with `nft` behind origin-guard's back are reported as drift.
@Suite("Kernel drift detection", .enabled(if: KernelTests.enabled))
struct KernelDriftTests {
  /// Installs the default ruleset, lets `edit` change it with nft, and returns the drifts.
  func drifts(after edit: (ThrowawayNamespace) throws -> Void) async throws -> [Drift] {
    try await withThrowawayNamespace { ns in
      let backend = try NetlinkBackend(networkNamespace: ns.path)
      let generation = try backend.install(addresses("10.0.0.0/24"))
      try edit(ns)
      #expect(try backend.generation() != generation)
      let state = try backend.readTable(named: table, withElements: true)
      guard
        case .structureDrifted(let drifts) = ruleset.compare(
          state, desired: addresses("10.0.0.0/24"))
      else {
        Issue.record("no drift reported")
        return []
      }
      // Recreating the table repairs every kind of drift, in one batch.
      try backend.install(addresses("10.0.0.0/24"))
      #expect(
        ruleset.compare(
          try backend.readTable(named: table, withElements: true), desired: addresses("10.0.0.0/24")
        ) == .inSync)
      return drifts
    }
  }

  /// The handle of the rule at `index` of `chain`, from `nft -a`.
  func handle(_ ns: ThrowawayNamespace, chain: String, index: Int) throws -> String {
    let listing = try ns.nft("-a", "list", "chain", "inet", table, chain).output
    let rules = listing.split(separator: "\n").filter {
      $0.contains("# handle") && !$0.contains("chain ")
    }
    return String(rules[index].split(separator: " ").last!)
  }

  @Test func ruleReplaced() async throws {
    let drifts = try await drifts { ns in
      let handle = try handle(ns, chain: "guard", index: 2)
      try ns.nft(
        "replace", "rule", "inet", table, "guard", "handle", handle, "ip", "saddr", "0.0.0.0/0",
        "accept")
    }
    #expect(drifts.count == 1)
    guard case .ruleEdited(chain: "guard", position: 3, _, let found) = drifts.first else {
      Issue.record("expected an edited rule, got \(drifts)")
      return
    }
    #expect(found.description.contains("payload network +12 len 4"))
    #expect(drifts[0].description.contains("rule 3 of chain guard was edited"))
  }

  @Test func foreignRuleInserted() async throws {
    let drifts = try await drifts { ns in
      try ns.nft("insert", "rule", "inet", table, "guard", "tcp", "dport", "22", "accept")
    }
    #expect(drifts.count == 1)
    guard case .ruleInserted(chain: "guard", position: 1, _) = drifts.first else {
      Issue.record("expected an inserted rule, got \(drifts)")
      return
    }
  }

  @Test func ruleDeleted() async throws {
    let drifts = try await drifts { ns in
      try ns.nft(
        "delete", "rule", "inet", table, "guard", "handle", try handle(ns, chain: "guard", index: 1)
      )
    }
    guard case .ruleRemoved(chain: "guard", position: 2, let rule) = drifts.first, drifts.count == 1
    else {
      Issue.record("expected a removed rule, got \(drifts)")
      return
    }
    #expect(rule.description.contains("ct state"))
  }

  @Test func chainPolicyAndPriorityChanged() async throws {
    let drifts = try await drifts { ns in
      try ns.nft(
        "add", "chain", "inet", table, "input",
        "{ type filter hook input priority -10; policy drop; }")
    }
    #expect(drifts.count == 1)
    guard case .chainBaseChanged(chain: "input", _, let found) = drifts.first else {
      Issue.record("expected a changed chain, got \(drifts)")
      return
    }
    #expect(found?.policy == .drop)
  }

  @Test func setFlagsChanged() async throws {
    let drifts = try await drifts { ns in
      try ns.nft(
        "delete", "rule", "inet", table, "guard", "handle", try handle(ns, chain: "guard", index: 3)
      )
      try ns.nft("delete", "set", "inet", table, setV6)
      try ns.nft("add", "set", "inet", table, setV6, "{ type ipv6_addr; }")
    }
    #expect(drifts.contains { if case .setChanged = $0 { true } else { false } })
    #expect(
      drifts.contains {
        if case .ruleRemoved(chain: "guard", position: 4, _) = $0 { true } else { false }
      })
  }

  @Test func tableDeleted() async throws {
    let drifts = try await drifts { ns in try ns.nft("delete", "table", "inet", table) }
    #expect(drifts == [.tableMissing(table)])
  }

  @Test func tableMadeDormant() async throws {
    let drifts = try await drifts { ns in
      try ns.nft("add", "table", "inet", table, "{ flags dormant; }")
    }
    #expect(drifts == [.tableFlagsChanged(expected: 0, found: 1)])
  }

  @Test func foreignElementIsAnElementDifference() async throws {
    try await withThrowawayNamespace { ns in
      let backend = try NetlinkBackend(networkNamespace: ns.path)
      try backend.install(addresses("10.0.0.0/24"))
      try ns.nft("add", "element", "inet", table, setV4, "{ 192.0.2.1 }")
      let state = try backend.readTable(named: table, withElements: true)
      guard
        case .elementsDiffer(let diff4, let diff6) = ruleset.compare(
          state, desired: addresses("10.0.0.0/24"))
      else {
        Issue.record("expected an element difference")
        return
      }
      #expect(diff4.remove == [v4("192.0.2.1")] && diff4.add.isEmpty && diff6.isEmpty)
    }
  }
}
