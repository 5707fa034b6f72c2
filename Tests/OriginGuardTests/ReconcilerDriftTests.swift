import AddressSet
import AddressSources
import Foundation
import Netfilter
import Testing

@testable import OriginGuard

/// Someone else edits our table: the generation moves, so the next sync reads the kernel
/// instead of trusting the saved state, finds the drift and repairs it in one transaction.
@Suite("Reconciler: drift repair")
struct ReconcilerDriftTests {
  private static let list = ["192.0.2.0/24", "198.51.100.0/24", "2001:db8::/48"]

  /// A harness after one sync of `list`.
  private func synced() async throws -> Harness {
    let h = try Harness()
    h.source.respond(h.source.entries(Self.list))
    _ = try await h.sync()
    return h
  }

  /// The next sync reads the kernel, reports the drift and leaves the table as intended.
  private func expectRepaired(
    _ h: Harness, sourceLocation: SourceLocation = #_sourceLocation
  ) async throws -> CycleReport {
    let commits = h.commitCount
    let report = try await h.sync()
    #expect(report.plan.basis == .kernel, sourceLocation: sourceLocation)
    #expect(report.applied, sourceLocation: sourceLocation)
    #expect(h.commitCount == commits + 1, sourceLocation: sourceLocation)
    let state = try #require(try h.kernelState(), sourceLocation: sourceLocation)
    #expect(state.table == h.ruleset.table, sourceLocation: sourceLocation)
    #expect(
      try h.kernelSet() == DualStackSet(prefixes: Self.list.map(prefix)),
      sourceLocation: sourceLocation)
    // Repaired: the sync after that is in sync through the saved state.
    let next = try await h.sync()
    #expect(next.plan.basis == .savedState, sourceLocation: sourceLocation)
    #expect(next.plan.isInSync, sourceLocation: sourceLocation)
    return report
  }

  @Test func aDeletedTableIsRecreatedWithItsElements() async throws {
    let h = try await synced()
    h.fake.simulateTableDeletion("origin_guard")

    let report = try await expectRepaired(h)
    #expect(report.plan.drifts == [.tableMissing("origin_guard")])
    #expect(!report.plan.tableExists)
    #expect(report.plan.added.count == 3)
  }

  @Test func anEditedRuleIsPutBack() async throws {
    let h = try await synced()
    let intended = h.ruleset.table.chain(named: "guard")!.rules[2]
    h.fake.simulateDrift(table: "origin_guard") { table in
      let guardChain = table.chains.firstIndex { $0.name == "guard" }!
      table.chains[guardChain].rules[2] = Rule([.verdict(.accept)])
    }

    let report = try await expectRepaired(h)
    #expect(
      report.plan.drifts == [
        .ruleEdited(
          chain: "guard", position: 3, expected: intended, found: Rule([.verdict(.accept)]))
      ])
    #expect(report.plan.tableExists)
    // Elements were right: nothing added or removed, the table is recreated whole.
    #expect(report.plan.added.isEmpty && report.plan.removed.isEmpty)
    let transaction = try #require(h.fake.appliedTransactions.last)
    #expect(transaction.structureChanges.first == .addTable("origin_guard"))
    #expect(transaction.structureChanges.dropFirst().first == .deleteTable("origin_guard"))
  }

  @Test func anInsertedRuleIsRemoved() async throws {
    let h = try await synced()
    h.fake.simulateDrift(table: "origin_guard") { table in
      let guardChain = table.chains.firstIndex { $0.name == "guard" }!
      table.chains[guardChain].rules.insert(Rule([.verdict(.accept)]), at: 0)
    }

    let report = try await expectRepaired(h)
    #expect(
      report.plan.drifts == [.ruleInserted(chain: "guard", position: 1, Rule([.verdict(.accept)]))])
  }

  @Test func aChangedChainPolicyIsPutBack() async throws {
    let h = try await synced()
    h.fake.simulateDrift(table: "origin_guard") { table in
      table.chains[0].base?.policy = .drop
    }

    let report = try await expectRepaired(h)
    #expect(report.plan.drifts.count == 1)
    guard case .chainBaseChanged(let chain, let expected, let found) = report.plan.drifts.first
    else {
      Issue.record("expected a chain drift, got \(report.plan.drifts)")
      return
    }
    #expect(chain == "input")
    #expect(expected?.policy == .accept)
    #expect(found?.policy == .drop)
  }

  @Test func aDormantTableIsWokenUp() async throws {
    let h = try await synced()
    h.fake.simulateDrift(table: "origin_guard") { $0.flags = 1 }

    let report = try await expectRepaired(h)
    #expect(report.plan.drifts == [.tableFlagsChanged(expected: 0, found: 1)])
  }

  @Test func aForeignElementIsRemoved() async throws {
    let h = try await synced()
    h.fake.simulateForeignElement(
      v4Range("203.0.113.0/24"), set: "allowed_v4", table: "origin_guard")

    let report = try await expectRepaired(h)
    #expect(report.plan.drifts.isEmpty)
    #expect(report.plan.removed == [prefix("203.0.113.0/24")])
    #expect(report.plan.provenance(of: prefix("203.0.113.0/24"), removed: true).isEmpty)
    let transaction = try #require(h.fake.appliedTransactions.last)
    #expect(transaction.structureChanges.isEmpty)
    #expect(
      transaction.elementRemovals.map(\.kind) == [.remove(.ipv4([v4Range("203.0.113.0/24")]))])
    #expect(transaction.elementAdditions.isEmpty)
  }

  @Test func aForeignElementOverlappingOursIsRemovedExactlyAsStored() async throws {
    let h = try await synced()
    h.fake.simulateForeignElement(
      v6Range("2001:db8::/56"), set: "allowed_v6", table: "origin_guard")

    let report = try await expectRepaired(h)
    #expect(report.plan.removed.isEmpty)  // the addresses stay allowed
    let transaction = try #require(h.fake.appliedTransactions.last)
    #expect(transaction.elementRemovals.map(\.kind) == [.remove(.ipv6([v6Range("2001:db8::/56")]))])
  }

  @Test func anElementRemovedBySomeoneElseIsPutBack() async throws {
    let h = try await synced()
    // Another program deletes one of our ranges and re-adds a smaller one.
    h.fake.simulateTableDeletion("origin_guard")
    var partial = h.ruleset.installTransaction(allowing: addresses("192.0.2.0/24", "2001:db8::/48"))
    partial.addElements([v4Range("198.51.100.0/25")], set: "allowed_v4", table: "origin_guard")
    try h.fake.apply(partial, expectedGeneration: nil)

    let report = try await expectRepaired(h)
    #expect(report.plan.drifts.isEmpty)
    #expect(report.plan.added == [prefix("198.51.100.128/25")])
  }

  @Test func driftIsRepairedEvenWhenTheSourceFallsBackToItsCache() async throws {
    let h = try await synced()
    h.fake.simulateTableDeletion("origin_guard")
    h.source.fail()
    h.clock.advance(seconds: 5)

    let report = try await expectRepaired(h)
    #expect(report.outcomes.first?.status == "cache (5s old)")
  }

  @Test func planShowsDriftWithoutRepairingIt() async throws {
    let h = try await synced()
    h.fake.simulateDrift(table: "origin_guard") { $0.chains[0].base?.policy = .drop }
    let generation = h.generation

    let report = try await h.plan()
    #expect(report.plan.drifts.count == 1)
    #expect(!report.plan.isInSync)
    #expect(h.generation == generation)
  }
}
