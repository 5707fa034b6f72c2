import AddressSet
import Foundation
import Netfilter
import Synchronization
import Testing

@testable import OriginGuard

/// Collects a watch's notices in the background, so a test can look at what arrived.
final class NoticeCollector: Sendable {
  private final class Received: Sendable {
    let notices = Mutex<[RulesetWatch.Notice]>([])
  }

  private let received = Received()
  private let task: Task<Void, Never>

  init(_ watch: RulesetWatch) {
    let received = received
    task = Task {
      for await notice in watch.notices { received.notices.withLock { $0.append(notice) } }
    }
  }

  deinit { task.cancel() }

  var notices: [RulesetWatch.Notice] { received.notices.withLock { $0 } }

  /// Waits until `count` notices arrived, at most `timeout`.
  func wait(for count: Int = 1, timeout: Duration = .seconds(2)) async -> [RulesetWatch.Notice] {
    let deadline = ContinuousClock.now + timeout
    while notices.count < count && ContinuousClock.now < deadline {
      try? await Task.sleep(for: .milliseconds(5))
    }
    return notices
  }
}

/// The daemon's half of the event stream, on the fake kernel: which changes are noticed, and
/// the repair that puts back the last applied list.
@Suite("Ruleset watch and repair")
struct RulesetWatchRepairTests {
  private static let list = ["192.0.2.0/24", "198.51.100.0/24", "2001:db8::/48"]

  /// A harness after one sync of `list`, with a started watch on its fake kernel.
  private func synced() async throws -> (Harness, RulesetWatch, NoticeCollector) {
    let h = try Harness()
    h.source.respond(h.source.entries(Self.list))
    _ = try await h.sync()
    let watch = try RulesetWatch(source: h.fake, table: h.ruleset.tableName)
    watch.start()
    return (h, watch, NoticeCollector(watch))
  }

  enum ForeignChange: String, CaseIterable, Sendable {
    case tableDeleted, elementDeleted, elementAdded, acceptRuleInserted

    func apply(to fake: FakeNetfilter) {
      switch self {
      case .tableDeleted: fake.simulateTableDeletion("origin_guard")
      case .elementDeleted:
        fake.simulateElementDeletion(
          v4Range("198.51.100.0/24"), set: "allowed_v4", table: "origin_guard")
      case .elementAdded:
        fake.simulateForeignElement(v4Range("10.0.0.0/8"), set: "allowed_v4", table: "origin_guard")
      case .acceptRuleInserted:
        fake.simulateDrift(table: "origin_guard") { table in
          let guardChain = table.chains.firstIndex { $0.name == "guard" }!
          table.chains[guardChain].rules.insert(Rule([.verdict(.accept)]), at: 0)
        }
      }
    }
  }

  @Test(arguments: ForeignChange.allCases)
  func aForeignChangeIsNoticedAndRepairedFromTheLastAppliedList(_ change: ForeignChange)
    async throws
  {
    let (h, watch, collector) = try await synced()
    defer { watch.stop() }
    let before = try h.kernelState()
    let fetches = h.source.callCount

    change.apply(to: h.fake)
    let notices = await collector.wait()
    guard case .changed(let commit, _)? = notices.first else {
      Issue.record("no notice of \(change): \(notices)")
      return
    }
    #expect(!commit.isOwn && commit.touches(inetTable: "origin_guard"))

    let commits = h.commitCount
    let report = try await h.reconciler().repair()
    #expect(report.repaired, "\(report.summary)")
    #expect(h.commitCount == commits + 1, "one batch")
    #expect(h.source.callCount == fetches, "a repair fetches no source")
    let after = try h.kernelState()
    #expect(after?.table == before?.table && after?.elements == before?.elements)
    // The repair's own commit is not noticed; the saved generation follows it.
    try await Task.sleep(for: .milliseconds(100))
    #expect(collector.notices.count == 1)
    #expect(try h.store.loadHeader()?.generation == h.generation)
    #expect(try await h.reconciler().repair().repaired == false)
  }

  @Test func theSummarySaysWhatWasPutBack() async throws {
    let (h, watch, _) = try await synced()
    defer { watch.stop() }
    h.fake.simulateTableDeletion("origin_guard")
    #expect(
      try await h.reconciler().repair().summary == "created the table again (someone deleted it)")
    h.fake.simulateForeignElement(v4Range("10.0.0.0/8"), set: "allowed_v4", table: "origin_guard")
    #expect(
      try await h.reconciler().repair().summary == "removed 1 prefix nobody applied: 10.0.0.0/8")
  }

  @Test func ourOwnSyncsAndOtherTablesAreNotNoticed() async throws {
    let (h, watch, collector) = try await synced()
    defer { watch.stop() }
    h.source.list("192.0.2.0/24", "2001:db8::/48")
    _ = try await h.sync()
    h.fake.simulateForeignCommit(table: "neighbour")
    try await Task.sleep(for: .milliseconds(200))
    #expect(collector.notices.isEmpty)
  }

  @Test func lostEventsAreNoticed() async throws {
    let (h, watch, collector) = try await synced()
    defer { watch.stop() }
    h.fake.simulateLostEvents()
    guard case .lost? = await collector.wait().first else {
      Issue.record("no notice of lost events")
      return
    }
    // Nothing changed since our sync: the check costs a generation read and commits nothing.
    let commits = h.commitCount
    #expect(try await h.reconciler().repair().repaired == false)
    #expect(h.commitCount == commits)
  }

  @Test func aFailedSubscriptionIsRenewedAndTheTableChecked() async throws {
    let (h, watch, collector) = try await synced()
    defer { watch.stop() }
    h.fake.simulateSubscriptionFailure()
    guard case .lost(_, let reason)? = await collector.wait().first else {
      Issue.record("no notice of the failed subscription: \(collector.notices)")
      return
    }
    #expect(reason.contains("subscribed again"), "\(reason)")
    // The renewed subscription sees the next change.
    h.fake.simulateTableDeletion("origin_guard")
    let notices = await collector.wait(for: 2)
    guard notices.count == 2, case .changed = notices[1] else {
      Issue.record("the change after the renewal was not noticed: \(notices)")
      return
    }
  }

  @Test func nothingIsPutBackAfterOurTeardown() async throws {
    let (h, watch, _) = try await synced()
    defer { watch.stop() }
    h.fake.simulateTableDeletion("origin_guard")
    try h.store.recordTeardown(at: testEpoch)
    let report = try await h.reconciler().repair()
    #expect(!report.repaired)
    #expect(try h.kernelState() == nil)
  }

  @Test func withoutASavedStateOfThisBootNothingIsPutBack() async throws {
    let h = try Harness()
    #expect(try await h.reconciler().repair().repaired == false)
    #expect(h.commitCount == 0)
  }
}

/// A neighbour committing to its own table between our plan and our commit: with the event
/// stream the same batch is sent again at once; without it the sync re-reads and re-plans.
@Suite("Reconciler: commits refused because of a neighbour")
struct ReconcilerNeighbourCommitTests {
  private func environment(_ h: Harness, backend: HookedBackend, watching: Bool) throws
    -> Reconciler
  {
    var environment = h.environment(backend: backend)
    if watching {
      environment.rulesetWatch = try RulesetWatch(source: h.fake, table: h.ruleset.tableName)
    }
    return Reconciler(configuration: h.configuration, environment: environment)
  }

  @Test func aNeighboursCommitsCostAReSendNotAReplan() async throws {
    let h = try Harness()
    h.source.list("192.0.2.0/24")
    _ = try await h.sync()
    h.source.list("192.0.2.0/24", "198.51.100.0/24")
    let racing = HookedBackend.racing(h.fake, foreignCommits: 3)
    let reconciler = try environment(h, backend: racing, watching: true)

    let report = try await reconciler.cycle(.init(apply: true))
    #expect(report.applied)
    #expect(report.generationRetries == 0, "the plan was re-sent, not redone")
    #expect(racing.applyCount == 4)
    #expect(try h.kernelSet() == addresses("192.0.2.0/24", "198.51.100.0/24"))
  }

  @Test func withoutTheEventsTheSyncReplans() async throws {
    let h = try Harness()
    h.source.list("192.0.2.0/24")
    _ = try await h.sync()
    h.source.list("192.0.2.0/24", "198.51.100.0/24")
    let racing = HookedBackend.racing(h.fake, foreignCommits: 2)
    let report = try await environment(h, backend: racing, watching: false).cycle(
      .init(apply: true))
    #expect(report.generationRetries == 2)
  }

  @Test func aChangeToOurTableMeanwhileIsNeverOverwrittenBlindly() async throws {
    let h = try Harness()
    h.source.list("192.0.2.0/24")
    _ = try await h.sync()
    h.source.list("192.0.2.0/24", "198.51.100.0/24")
    let fake = h.fake
    let meddling = HookedBackend(
      fake,
      beforeApply: { attempt in
        if attempt == 1 {
          fake.simulateForeignElement(
            v4Range("10.0.0.0/8"), set: "allowed_v4", table: "origin_guard")
        }
      })
    let report = try await environment(h, backend: meddling, watching: true).cycle(
      .init(apply: true))
    #expect(report.generationRetries == 1, "re-read and re-planned")
    #expect(try h.kernelSet() == addresses("192.0.2.0/24", "198.51.100.0/24"))
  }
}

@Suite("Repair pacer")
struct RepairPacerTests {
  @Test func repairsFollowTheDebounceUntilTheBurstIsSpent() {
    var pacer = RepairPacer()
    let start = ContinuousClock.now
    var now = start
    for index in 0..<pacer.burst {
      pacer.noteChange(at: now)
      #expect(pacer.repairTime(lastChange: now) == now + pacer.debounce)
      let warning = pacer.noteRepair(at: now + pacer.debounce, what: "table deleted")
      #expect((warning != nil) == (index == pacer.burst - 1))
      now += .milliseconds(100)
    }
    #expect(pacer.currentSpacing == pacer.minimumSpacing)
  }

  @Test func theSpacingDoublesUpToItsMaximumAndEndsAfterAQuietWindow() {
    var pacer = RepairPacer()
    var now = ContinuousClock.now
    var warnings: [String] = []
    for _ in 0..<(pacer.burst + 6) {
      pacer.noteChange(at: now)
      now = pacer.repairTime(lastChange: now)
      if let warning = pacer.noteRepair(at: now, what: "table origin_guard deleted by nft (pid 7)")
      {
        warnings.append(warning)
      }
      now += .milliseconds(1)
    }
    #expect(pacer.currentSpacing == pacer.maximumSpacing)
    #expect(warnings.count == 4, "1 s, 2 s, 4 s, 8 s: \(warnings)")
    #expect(warnings.last?.contains("repairing at most every 8s") == true)
    #expect(warnings.last?.contains("table origin_guard deleted by nft (pid 7)") == true)

    now += pacer.window + .seconds(1)
    pacer.noteChange(at: now)
    #expect(pacer.currentSpacing == nil)
    #expect(pacer.repairTime(lastChange: now) == now + pacer.debounce)
  }
}
