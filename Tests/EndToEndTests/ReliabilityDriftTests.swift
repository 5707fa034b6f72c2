import Foundation
import TestSupport
import Testing

/// Someone changes our table behind our back with `nft`: `status` and `plan` must say so, the
/// next `sync` must put it back in one commit and count the repair, and a neighbour's table
/// must not change by a byte.
@Suite("Reliability: drift", .enabled(if: KernelTests.enabled))
struct ReliabilityDriftTests {
  static let neighbour = """
    table inet neighbour {
      set blocked { type ipv4_addr; flags interval; elements = { 192.0.2.0/24, 198.51.100.7 } }
      set admin_ports { type inet_service; elements = { 22, 8080 } }
      chain input {
        type filter hook input priority 5; policy accept;
        tcp dport @admin_ports ip saddr @blocked counter drop
        ip saddr 203.0.113.0/24 tcp dport 443 accept
      }
      chain output { type filter hook output priority 0; policy accept; }
    }
    """
  static let list = TestLists.ipv4(10) + TestLists.ipv6

  enum Tamper: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case flushRuleset
    case deleteTable
    case foreignElement
    case ruleInserted
    case basePolicyDrop
    case dropRuleDeleted

    var testDescription: String { rawValue }

    func apply(_ namespace: ThrowawayNamespace) throws {
      switch self {
      case .flushRuleset:
        try namespace.nft("flush", "ruleset")
        // The neighbour's owner puts their table back; ours stays gone.
        try namespace.load(ruleset: ReliabilityDriftTests.neighbour)
      case .deleteTable:
        try namespace.nft("delete", "table", "inet", "origin_guard")
      case .foreignElement:
        try namespace.nft("add", "element", "inet", "origin_guard", "allowed_v4", "{ 198.18.0.9 }")
      case .ruleInserted:
        try namespace.nft("insert", "rule", "inet", "origin_guard", "guard", "accept")
      case .basePolicyDrop:
        try namespace.nft("chain", "inet", "origin_guard", "input", "{ policy drop; }")
      case .dropRuleDeleted:
        let listing = try namespace.nft("-a", "list", "chain", "inet", "origin_guard", "guard")
          .output
        guard let line = listing.split(separator: "\n").first(where: { $0.contains("drop") }),
          let handle = line.split(separator: " ").last
        else { throw ServerError("no drop rule in \(listing)") }
        try namespace.nft(
          "delete", "rule", "inet", "origin_guard", "guard", "handle", String(handle))
      }
    }

    /// What `status` prints about it.
    var statusSays: String {
      switch self {
      case .flushRuleset, .deleteTable: "MISSING"
      case .foreignElement: "matches the last sync's list: NO"
      case .ruleInserted: "DRIFT: a rule was inserted into chain guard"
      case .basePolicyDrop: "DRIFT: chain input changed"
      case .dropRuleDeleted: "DRIFT: rule 5 of chain guard was removed"
      }
    }

    /// What `plan` prints about it.
    var planSays: String {
      switch self {
      case .flushRuleset, .deleteTable: "will be created"
      case .foreignElement: "- 198.18.0.9/32"
      case .ruleInserted, .basePolicyDrop, .dropRuleDeleted: "Structure drift, repaired"
      }
    }
  }

  @Test(arguments: Tamper.allCases)
  func detectedAndRepaired(_ tamper: Tamper) async throws {
    try await GuardSandbox.with { sandbox in
      try sandbox.namespace.load(ruleset: Self.neighbour)
      let neighbour = try sandbox.namespace.nft("list", "table", "inet", "neighbour").output
      try sandbox.writeConfiguration(
        sources: """
            - name: fleet
              type: static
              addresses: [\(Self.list.map { "\"\($0)\"" }.joined(separator: ", "))]
          """)
      let first = try sandbox.originGuard("sync")
      try #require(first.status == 0, "\(first.errorOutput)")
      // Creating the table the first time is not a repair.
      #expect(try sandbox.metrics().value("drift_repairs_total", ["trigger": "cycle"]) == 0)
      let pristine = try sandbox.namespace.nft("list", "table", "inet", "origin_guard").output
      #expect(try sandbox.namespace.nft("list", "table", "inet", "neighbour").output == neighbour)

      try tamper.apply(sandbox.namespace)

      let status = try sandbox.originGuard("status")
      #expect(status.status == 0)
      #expect(status.output.contains(tamper.statusSays), "\(status.output)")
      let plan = try sandbox.originGuard("plan", "--detailed-exitcode")
      #expect(plan.status == 2, "\(plan.output)\(plan.errorOutput)")
      #expect(plan.output.contains(tamper.planSays), "\(plan.output)")

      let generation = try sandbox.generation()
      let repair = try sandbox.originGuard("sync")
      #expect(repair.status == 0, "\(repair.errorOutput)")
      // One commit: the repair is a single atomic batch.
      #expect(try sandbox.generation() == generation + 1)
      #expect(try sandbox.namespace.nft("list", "table", "inet", "origin_guard").output == pristine)
      #expect(try sandbox.namespace.nft("list", "table", "inet", "neighbour").output == neighbour)
      #expect(try sandbox.metrics().value("drift_repairs_total", ["trigger": "cycle"]) == 1)

      let after = try sandbox.originGuard("status")
      #expect(after.output.contains("matches the last sync's list: yes"), "\(after.output)")
      #expect(!after.output.contains("DRIFT"))
      #expect(try sandbox.originGuard("plan", "--detailed-exitcode").status == 0)
      #expect(try sandbox.namespace.nft("list", "table", "inet", "neighbour").output == neighbour)
    }
  }
}
