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
    try await Bootstrap(reconciler: h.reconciler()).run(force: force) { await confirmer.confirm() }
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

    guard case .rolledBack(let report) = outcome else {
      Issue.record("expected .rolledBack, got \(outcome)")
      return
    }
    #expect(report.applied)
    #expect(confirmer.callCount == 1)
    #expect(try h.kernelState() == nil)
    #expect(!FileManager.default.fileExists(atPath: h.store.headerPath))
    #expect(h.commitCount == 2)  // the bootstrap and its rollback
    #expect(h.logs.warnings.contains { $0.contains("not confirmed: rolling back") })
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

    guard case .rolledBack(let report) = outcome else {
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
    let file = ConfirmationFile(store: h.store)
    try h.store.prepare()
    try file.confirm()  // left over from an earlier bootstrap

    let outcome = try await Bootstrap(reconciler: h.reconciler()).run(force: false) {
      await file.wait(timeout: .milliseconds(300))
    }

    guard case .rolledBack = outcome else {
      Issue.record("expected .rolledBack, got \(outcome)")
      return
    }
    #expect(try h.kernelState() == nil)
  }

  @Test func aConfirmationArrivingWhileWaitingIsConsumed() async throws {
    let directory = try TemporaryStateDirectory()
    let store = directory.store
    try store.prepare()
    let file = ConfirmationFile(store: store)
    #expect(await file.wait(timeout: .milliseconds(250)) == false)

    async let confirmed = file.wait(timeout: .seconds(10))
    try await Task.sleep(for: .milliseconds(100))
    try file.confirm()
    #expect(await confirmed)
    #expect(!FileManager.default.fileExists(atPath: file.path))
  }

  @Test func restoringNoTableRemovesOurs() {
    let ruleset = GuardRuleset()
    #expect(Bootstrap.restoreTransaction(nil, ruleset: ruleset) == ruleset.uninstallTransaction())
  }
}
