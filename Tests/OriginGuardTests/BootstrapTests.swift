import AddressSet
import AddressSources
import Foundation
import Netfilter
import Synchronization
import Testing

@testable import OriginGuard

/// Counts how often bootstrap asked for a confirmation, and answers.
final class Confirmer: Sendable {
  private let calls = Mutex(0)
  let answer: Bool

  init(_ answer: Bool) { self.answer = answer }

  var callCount: Int { calls.withLock { $0 } }

  func confirm() async -> Bool {
    calls.withLock { $0 += 1 }
    return answer
  }
}

@Suite("Bootstrap")
struct BootstrapTests {
  private func bootstrap(_ h: Harness, _ confirmer: Confirmer, force: Bool = false)
    async throws(CycleError) -> Bootstrap.Outcome
  {
    try await Bootstrap(reconciler: h.reconciler()).run(
      force: force, timeout: .seconds(60), startWatchdog: { _ in }
    ) { _ in await confirmer.confirm() ? .confirmed : .rollBack(.declined) }
  }

  /// Structure and elements, without the generation (which every commit moves).
  private func snapshot(_ h: Harness) throws -> (Table, [String: SetElements]?)? {
    try h.kernelState().map { ($0.table, $0.elements) }
  }

  @Test func aConfirmedBootstrapStays() async throws {
    let h = try Harness()
    h.source.list("192.0.2.0/24", "2001:db8::/48")
    let confirmer = Confirmer(true)

    let outcome = try await bootstrap(h, confirmer)

    guard case .confirmed(let report) = outcome else {
      Issue.record("expected .confirmed, got \(outcome)")
      return
    }
    #expect(report.applied)
    #expect(confirmer.callCount == 1)
    #expect(try h.kernelSet() == addresses("192.0.2.0/24", "2001:db8::/48"))
    #expect(try h.store.loadHeader()?.generation == h.generation)
  }

  @Test func anUnconfirmedBootstrapRemovesATableThatDidNotExist() async throws {
    let h = try Harness()
    h.source.list("192.0.2.0/24")
    let confirmer = Confirmer(false)

    let outcome = try await bootstrap(h, confirmer)

    guard case .rolledBack(let report, _) = outcome else {
      Issue.record("expected .rolledBack, got \(outcome)")
      return
    }
    #expect(report.applied)
    #expect(confirmer.callCount == 1)
    #expect(try h.kernelState() == nil)
    #expect(!FileManager.default.fileExists(atPath: h.store.headerPath))
    #expect(h.commitCount == 2)  // the bootstrap and its rollback
    #expect(
      h.logs.warnings.contains {
        $0.contains("not confirmed (the operator answered no): rolling back")
      })
  }

  @Test func anUnconfirmedBootstrapRestoresTheEarlierTableAndState() async throws {
    let h = try Harness()
    h.source.list("192.0.2.0/24", "198.51.100.0/24", "2001:db8::/48")
    _ = try await h.sync()
    let before = try #require(try snapshot(h))
    let header = try #require(FileManager.default.contents(atPath: h.store.headerPath))

    h.source.list("192.0.2.0/24", "203.0.113.0/24", "2001:db8::/48", "2001:db8:1::/48")
    let outcome = try await bootstrap(h, Confirmer(false))

    guard case .rolledBack = outcome else {
      Issue.record("expected .rolledBack, got \(outcome)")
      return
    }
    let after = try #require(try snapshot(h))
    #expect(after.0 == before.0)
    #expect(after.1 == before.1)
    #expect(FileManager.default.contents(atPath: h.store.headerPath) == header)

    // The restored header's lists are there: the applied list and the source's cache.
    let restored = try #require(try h.store.loadHeader())
    #expect(
      try h.store.loadApplied(restored)
        == addresses("192.0.2.0/24", "198.51.100.0/24", "2001:db8::/48"))
    let record = try #require(restored.sources["cdn"])
    #expect(try h.store.loadEntries(record).count == 3)
    h.source.fail()
    let report = try await h.sync()
    #expect(report.outcomes.first?.status.hasPrefix("cache") == true)
    #expect(report.plan.isInSync)
  }

  @Test func anUnconfirmedBootstrapRestoresADriftedTableExactly() async throws {
    let h = try Harness()
    h.source.list("192.0.2.0/24")
    _ = try await h.sync()
    // Someone else's additions: a chain, a rule and an element. Bootstrap must not keep them,
    // but the rollback must put them back as they were.
    h.fake.simulateDrift(table: "origin_guard") { table in
      table.chains.append(Chain(name: "extra", rules: [Rule([.verdict(.accept)])]))
      let guardChain = table.chains.firstIndex { $0.name == "guard" }!
      table.chains[guardChain].rules.insert(Rule([.verdict(.jump("extra"))]), at: 0)
    }
    h.fake.simulateForeignElement(
      v6Range("2001:db8:ff::/48"), set: "allowed_v6", table: "origin_guard")
    let before = try #require(try snapshot(h))

    h.source.list("198.51.100.0/24")
    // Both families lose everything they held: --force gets past the shrink guard.
    let outcome = try await bootstrap(h, Confirmer(false), force: true)

    guard case .rolledBack(let report, _) = outcome else {
      Issue.record("expected .rolledBack, got \(outcome)")
      return
    }
    #expect(!report.plan.drifts.isEmpty)
    let after = try #require(try snapshot(h))
    #expect(after.0 == before.0)
    #expect(after.1 == before.1)
  }

  @Test func nothingToApplyNeedsNoConfirmation() async throws {
    let h = try Harness()
    h.source.list("192.0.2.0/24")
    _ = try await h.sync()
    let confirmer = Confirmer(false)

    let outcome = try await bootstrap(h, confirmer)

    guard case .confirmed(let report) = outcome else {
      Issue.record("expected .confirmed, got \(outcome)")
      return
    }
    #expect(!report.applied)
    #expect(confirmer.callCount == 0)
    #expect(h.commitCount == 1)
  }

  @Test func aRefusedBootstrapChangesNothingAndAsksNothing() async throws {
    let h = try Harness()
    h.source.list("0.0.0.0/0")
    let confirmer = Confirmer(true)

    do {
      _ = try await bootstrap(h, confirmer, force: true)
      Issue.record("expected a refusal")
    } catch {
      #expect(error.exitCode == .refused)
    }
    #expect(confirmer.callCount == 0)
    #expect(h.commitCount == 0)
  }

  @Test func aStaleConfirmationDoesNotCount() async throws {
    let h = try Harness()
    h.source.list("192.0.2.0/24")
    let bootstrap = Bootstrap(reconciler: h.reconciler())
    // A confirmation left over from an earlier bootstrap, with another id.
    let earlier = PendingRollback(
      appliedAt: Date(), deadline: Date().addingTimeInterval(60), bootstrapPID: 1,
      kernelIdentity: testIdentity, tableName: "origin_guard", previous: nil, previousHeader: nil,
      previousLists: [:])
    try bootstrap.files.record(earlier)
    _ = try bootstrap.files.confirm(at: Date(), kernel: testIdentity)
    try bootstrap.files.record(earlier)  // the next bootstrap's record replaces it
    #expect(!FileManager.default.fileExists(atPath: bootstrap.files.confirmedPath))
    _ = try bootstrap.files.claimRollback()
    bootstrap.files.finishRollback()

    let outcome = try await bootstrap.run(
      force: false, timeout: .milliseconds(300), startWatchdog: { _ in }
    ) { record in await bootstrap.waitForAnswer(record) { nil } }

    guard case .rolledBack(_, .timedOut) = outcome else {
      Issue.record("expected .rolledBack(.timedOut), got \(outcome)")
      return
    }
    #expect(try h.kernelState() == nil)
  }

  @Test func aConfirmationArrivingWhileWaitingIsConsumed() async throws {
    let h = try Harness()
    h.source.list("192.0.2.0/24")
    let bootstrap = Bootstrap(reconciler: h.reconciler())
    // The deadline counts from before the apply, which took 50 s once in a loaded CI run:
    // long enough that only the confirmation can end this wait.
    let outcome = try await bootstrap.run(
      force: false, timeout: .seconds(600), startWatchdog: { _ in }
    ) { record in
      async let answer = bootstrap.waitForAnswer(record) { nil }
      try? await Task.sleep(for: .milliseconds(150))
      guard
        case .confirmed(let confirmed)? = try? bootstrap.files.confirm(
          at: Date(), kernel: testIdentity)
      else {
        Issue.record("confirm found nothing waiting")
        return await answer
      }
      #expect(confirmed.id == record.id)
      return await answer
    }
    guard case .confirmed = outcome else {
      Issue.record("expected .confirmed, got \(outcome)")
      return
    }
    #expect(!FileManager.default.fileExists(atPath: bootstrap.files.confirmedPath))
    #expect(!FileManager.default.fileExists(atPath: bootstrap.files.pendingPath))
    guard case .nothingWaiting = try bootstrap.files.confirm(at: Date(), kernel: testIdentity)
    else {
      Issue.record("a second confirm found something waiting")
      return
    }
    #expect(try h.kernelSet() == addresses("192.0.2.0/24"))
  }

  @Test func restoringNoTableRemovesOurs() {
    let ruleset = GuardRuleset()
    let current = TableState(generation: 1, table: ruleset.table, elements: [:])
    var expected = Transaction()
    expected.deleteTable(ruleset.tableName)
    #expect(Transaction.restoring(nil, over: current, table: ruleset.tableName) == expected)
    #expect(Transaction.restoring(nil, over: nil, table: ruleset.tableName).isEmpty)
  }

  /// The same structure: only elements change, so no rule, chain or table is re-created.
  @Test func restoringTheSameStructureChangesOnlyElements() {
    let ruleset = GuardRuleset()
    let previous = TableState(
      generation: 1, table: ruleset.table,
      elements: ["allowed_v4": .ipv4([v4Range("192.0.2.0/24")]), "allowed_v6": .ipv6([])])
    let current = TableState(
      generation: 2, table: ruleset.table,
      elements: [
        "allowed_v4": .ipv4([v4Range("192.0.2.0/24"), v4Range("198.51.100.0/24")]),
        "allowed_v6": .ipv6([v6Range("2001:db8::/48")]),
      ])
    let transaction = Transaction.restoring(previous, over: current, table: ruleset.tableName)
    #expect(transaction.structureChanges.isEmpty)
    #expect(transaction.elementAdditions.isEmpty)
    #expect(
      transaction.elementRemovals.map(\.description).sorted() == [
        "delete 1 range(s) from set origin_guard allowed_v4",
        "delete 1 range(s) from set origin_guard allowed_v6",
      ])
  }

  /// A chain that appeared and a rule that jumps to it are undone; the untouched base chain
  /// keeps its rules (and so their handles and counters).
  @Test func restoringRemovesAnAddedChainAndRewritesOnlyTheChainThatChanged() throws {
    let ruleset = GuardRuleset()
    let previous = TableState(
      generation: 1, table: ruleset.table,
      elements: ["allowed_v4": .ipv4([]), "allowed_v6": .ipv6([])])
    var changed = ruleset.table
    changed.chains.append(Chain(name: "extra", rules: [Rule([.verdict(.accept)])]))
    let guardIndex = try #require(changed.chains.firstIndex { $0.name == "guard" })
    changed.chains[guardIndex].rules.insert(Rule([.verdict(.jump("extra"))]), at: 0)
    let current = TableState(generation: 2, table: changed, elements: previous.elements)

    let transaction = Transaction.restoring(previous, over: current, table: ruleset.tableName)

    let guardRules = ruleset.table.chain(named: "guard")!.rules
    #expect(
      transaction.structureChanges
        == [
          .flushChain(table: "origin_guard", chain: "extra"),
          .flushChain(table: "origin_guard", chain: "guard"),
          .deleteChain(table: "origin_guard", chain: "extra"),
        ] + guardRules.map { .addRule(table: "origin_guard", chain: "guard", $0) })
    #expect(transaction.elementRemovals.isEmpty && transaction.elementAdditions.isEmpty)
  }

  /// After a reboot the bootstrap and its watchdog are gone: the first run rolls back at
  /// once, deadline or not. A record of another network namespace is left alone.
  @Test func aRecordFromAnEarlierBootIsRolledBackAtOnceAndAnotherNamespacesIsLeftAlone()
    async throws
  {
    let h = try Harness()
    h.source.list("192.0.2.0/24")
    _ = try await h.sync()
    #expect(try h.kernelState() != nil)
    let rollback = BootstrapRollback(reconciler: h.reconciler())
    func record(_ identity: String) -> PendingRollback {
      PendingRollback(
        appliedAt: Date(), deadline: Date().addingTimeInterval(3600), bootstrapPID: 1,
        kernelIdentity: identity, tableName: "origin_guard", previous: nil, previousHeader: nil,
        previousLists: [:])
    }

    try rollback.files.record(record("test-boot-id net:[4026530000]"))
    guard case .nothing = try await rollback.settle() else {
      Issue.record("another namespace's record was acted on")
      return
    }
    #expect(try h.kernelState() != nil)

    try rollback.files.record(record(testIdentity))
    guard case .waiting = try await rollback.settle() else {
      Issue.record("this kernel's record before its deadline is not waiting")
      return
    }

    try rollback.files.record(record("an-earlier-boot net:[4026531840]"))
    guard case .rolledBack(_, .overdue, _) = try await rollback.settle() else {
      Issue.record("an earlier boot's record was not rolled back")
      return
    }
    #expect(try h.kernelState() == nil)
    #expect(try rollback.files.pending() == nil)
    #expect(!FileManager.default.fileExists(atPath: h.store.headerPath))
  }

  /// A rollback killed after claiming the record (before removing it) is finished by the
  /// next run, and a second settling finds nothing to do.
  @Test func aRollbackStoppedHalfWayIsFinishedByTheNextRun() async throws {
    let h = try Harness()
    h.source.list("192.0.2.0/24")
    _ = try await h.sync()
    let rollback = BootstrapRollback(reconciler: h.reconciler())
    try rollback.files.record(
      PendingRollback(
        appliedAt: Date(), deadline: Date().addingTimeInterval(3600), bootstrapPID: 1,
        kernelIdentity: testIdentity, tableName: "origin_guard", previous: nil,
        previousHeader: nil, previousLists: [:]))
    _ = try rollback.files.claimRollback()  // and then killed

    guard case .rolledBack(_, .interrupted, _) = try await rollback.settle() else {
      Issue.record("the interrupted rollback was not finished")
      return
    }
    #expect(try h.kernelState() == nil)
    #expect(!FileManager.default.fileExists(atPath: rollback.files.rollingBackPath))
    guard case .nothing = try await rollback.settle() else {
      Issue.record("a second settling found something")
      return
    }
  }
}
