import AddressSet
import AddressSources
import Foundation
import Testing

@testable import OriginGuard

/// `retain_removed`: the grace computation on interval sets, one fetch at a time.
@Suite struct RemovalGraceComputationTests {
  let day = Duration.seconds(86_400)
  let t0 = testEpoch

  @Test func newPrefixesAreNotRetainedAndRemovedOnesAre() {
    let added = RemovalGrace.advance(
      [], previous: addresses("192.0.2.0/24"), listed: addresses("192.0.2.0/24", "198.51.100.0/24"),
      retain: day, now: t0)
    #expect(added.isEmpty)
    let removed = RemovalGrace.advance(
      [], previous: addresses("192.0.2.0/24", "198.51.100.0/24"), listed: addresses("192.0.2.0/24"),
      retain: day, now: t0)
    #expect(removed == [RetainedRemoval(set: addresses("198.51.100.0/24"), removedAt: t0)])
  }

  @Test func aReturningPrefixLeavesTheGracePeriodAndARemovalKeepsItsFirstTime() {
    let earlier = [RetainedRemoval(set: addresses("198.51.100.0/24"), removedAt: t0)]
    let later = t0.addingTimeInterval(3600)
    // Still unlisted an hour later: the time of the first removal stays.
    #expect(
      RemovalGrace.advance(
        earlier, previous: addresses("192.0.2.0/24"), listed: addresses("192.0.2.0/24"),
        retain: day, now: later) == earlier)
    // Listed again: nothing retained any more.
    #expect(
      RemovalGrace.advance(
        earlier, previous: addresses("192.0.2.0/24"),
        listed: addresses("192.0.2.0/24", "198.51.100.0/24"), retain: day, now: later
      ).isEmpty)
    // The same prefix dropped again later starts a new grace period.
    #expect(
      RemovalGrace.advance(
        [], previous: addresses("192.0.2.0/24", "198.51.100.0/24"),
        listed: addresses("192.0.2.0/24"), retain: day, now: later)
        == [RetainedRemoval(set: addresses("198.51.100.0/24"), removedAt: later)])
  }

  @Test func theGracePeriodEndsExactlyAfterRetainRemoved() {
    let earlier = [RetainedRemoval(set: addresses("198.51.100.0/24"), removedAt: t0)]
    let listed = addresses("192.0.2.0/24")
    #expect(
      RemovalGrace.advance(
        earlier, previous: listed, listed: listed, retain: day, now: t0.addingTimeInterval(86_399))
        == earlier)
    #expect(
      RemovalGrace.advance(
        earlier, previous: listed, listed: listed, retain: day, now: t0.addingTimeInterval(86_400)
      ).isEmpty)
  }

  @Test func prefixesAreIntervalSets() {
    // A /24 dropped from inside a /16 the source still lists is still wanted: nothing retained.
    #expect(
      RemovalGrace.advance(
        [], previous: addresses("10.1.0.0/16", "10.1.2.0/24"), listed: addresses("10.1.0.0/16"),
        retain: day, now: t0
      ).isEmpty)
    // A /16 reduced to one /17: the other /17 is retained.
    #expect(
      RemovalGrace.advance(
        [], previous: addresses("10.1.0.0/16"), listed: addresses("10.1.0.0/17"), retain: day,
        now: t0) == [RetainedRemoval(set: addresses("10.1.128.0/17"), removedAt: t0)])
    // A retained /17 of which a /24 comes back: the rest stays retained, with its time.
    let earlier = [RetainedRemoval(set: addresses("10.1.128.0/17"), removedAt: t0)]
    let rest = RemovalGrace.advance(
      earlier, previous: addresses("10.1.0.0/17"),
      listed: addresses("10.1.0.0/17", "10.1.200.0/24"),
      retain: day, now: t0.addingTimeInterval(60))
    #expect(
      rest == [
        RetainedRemoval(
          set: addresses("10.1.128.0/17").subtracting(addresses("10.1.200.0/24")), removedAt: t0)
      ])
    // A prefix listed by the source in a wider form no longer is retained either.
    #expect(
      RemovalGrace.advance(
        earlier, previous: addresses("10.1.0.0/17"), listed: addresses("10.1.0.0/16"),
        retain: day, now: t0.addingTimeInterval(60)
      ).isEmpty)
  }

  @Test func zeroRetainsNothingAndAnUnknownPreviousListFindsNothingRemoved() {
    let earlier = [RetainedRemoval(set: addresses("198.51.100.0/24"), removedAt: t0)]
    #expect(
      RemovalGrace.advance(
        earlier, previous: addresses("198.51.100.0/24"), listed: addresses("192.0.2.0/24"),
        retain: .zero, now: t0
      ).isEmpty)
    #expect(
      RemovalGrace.advance(
        [], previous: nil, listed: addresses("192.0.2.0/24"), retain: day, now: t0
      )
      .isEmpty)
  }

  @Test func aClockSetBackNeverStretchesTheGracePeriod() {
    // Recorded a year "ahead" of the clock: the grace period counts from now, not from then.
    let future = t0.addingTimeInterval(365 * 86_400)
    let earlier = [RetainedRemoval(set: addresses("198.51.100.0/24"), removedAt: future)]
    let listed = addresses("192.0.2.0/24")
    let kept = RemovalGrace.advance(earlier, previous: listed, listed: listed, retain: day, now: t0)
    #expect(kept == [RetainedRemoval(set: addresses("198.51.100.0/24"), removedAt: t0)])
    #expect(
      RemovalGrace.advance(
        kept, previous: listed, listed: listed, retain: day, now: t0.addingTimeInterval(86_400)
      ).isEmpty)
  }

  @Test func aRecordIsLimitedToWhatWasApplied() {
    let grace = RemovalGrace(sources: [
      "cdn": [RetainedRemoval(set: addresses("0.0.0.0/1", "198.51.100.0/24"), removedAt: t0)]
    ])
    #expect(
      grace.limited(to: addresses("192.0.2.0/24", "198.51.100.0/24"))
        == RemovalGrace(sources: [
          "cdn": [RetainedRemoval(set: addresses("198.51.100.0/24"), removedAt: t0)]
        ]))
  }

  @Test func theRecordRoundTripsAndRefusesWhatOriginGuardNeverWrites() throws {
    let grace = RemovalGrace(sources: [
      "cdn": [RetainedRemoval(set: addresses("198.51.100.0/24", "2001:db8::/48"), removedAt: t0)]
    ])
    let data = try StateStore.encoder.encode(GraceRecord(grace))
    let decoded = try StateStore.decoder.decode(GraceRecord.self, from: data)
    #expect(try decoded.grace(path: "grace.json") == grace)

    var hostBits = GraceRecord(grace)
    hostBits.sources["cdn"]![0].prefixes = ["198.51.100.7/24"]
    #expect(throws: StateError.self) { try hostBits.grace(path: "grace.json") }
    var future = GraceRecord(grace)
    future.format = 2
    #expect(throws: StateError.self) { try future.grace(path: "grace.json") }
  }
}

/// `retain_removed` through whole cycles: the kernel, the plan, the guards, the state directory.
@Suite(.timeLimit(.minutes(1))) struct RemovalGraceCycleTests {
  static let day = Duration.seconds(86_400)

  func harness(sources: [String] = ["cdn"]) throws -> Harness {
    try Harness(
      sources: sources,
      retainRemoved: Dictionary(uniqueKeysWithValues: sources.map { ($0, Self.day) }))
  }

  @Test func aRemovedPrefixStaysForRetainRemovedThenGoes() async throws {
    let harness = try harness()
    harness.source.list("192.0.2.0/24", "198.51.100.0/24")
    _ = try await harness.sync()
    let removedAt = harness.clock.now()
    harness.source.list("192.0.2.0/24", "203.0.113.0/24")
    let kept = try await harness.sync()
    // New prefixes at once, the removed one kept.
    #expect(
      try harness.kernelSet() == addresses("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"))
    #expect(kept.plan.added == [prefix("203.0.113.0/24")] && kept.plan.removed.isEmpty)
    let until = removedAt.addingTimeInterval(86_400)
    #expect(
      kept.plan.retained == [
        RetainedPrefix(
          prefix: prefix("198.51.100.0/24"), source: "cdn", removedAt: removedAt, until: until)
      ])

    harness.clock.advance(seconds: 3600)
    let text = PlanRenderer.text(try await harness.plan(), table: harness.ruleset.tableName)
    #expect(
      text.contains(
        "198.51.100.0/24  source cdn, kept until 2026-01-02T00:00:00Z (removed by the source at 2026-01-01T00:00:00Z)"
      ), "\(text)")
    let json = PlanRenderer.json(try await harness.plan(), table: harness.ruleset.tableName)
    #expect(json.contains(#""until" : "2026-01-02T00:00:00Z""#), "\(json)")

    harness.clock.advance(seconds: 86_400 - 3600)
    let gone = try await harness.sync()
    #expect(gone.plan.removed == [prefix("198.51.100.0/24")])
    #expect(gone.plan.retained.isEmpty)
    // The removal is traced to the source that kept it.
    #expect(
      gone.plan.provenance(of: prefix("198.51.100.0/24"), removed: true).map(\.source) == ["cdn"])
    #expect(try harness.kernelSet() == addresses("192.0.2.0/24", "203.0.113.0/24"))
    #expect(try harness.store.loadGrace() == RemovalGrace())
  }

  @Test func aPrefixThatReturnsIsSimplyKept() async throws {
    let harness = try harness()
    harness.source.list("192.0.2.0/24", "198.51.100.0/24")
    _ = try await harness.sync()
    harness.source.list("192.0.2.0/24")
    _ = try await harness.sync()
    #expect(try harness.store.loadGrace()?.isEmpty == false)
    harness.clock.advance(seconds: 600)
    harness.source.list("192.0.2.0/24", "198.51.100.0/24")
    let back = try await harness.sync()
    #expect(back.plan.isInSync && back.plan.retained.isEmpty)
    #expect(try harness.store.loadGrace() == RemovalGrace())
    // Dropped again much later, it gets a full grace period from then.
    harness.clock.advance(seconds: 86_000)
    harness.source.list("192.0.2.0/24")
    _ = try await harness.sync()
    harness.clock.advance(seconds: 3600)
    _ = try await harness.sync()
    #expect(try harness.kernelSet() == addresses("192.0.2.0/24", "198.51.100.0/24"))
  }

  @Test func theShrinkGuardJudgesTheListThatIsApplied() async throws {
    let harness = try harness()
    let many = (0..<10).map { "10.0.\($0).0/24" }
    harness.source.list(contentsOf: many)
    _ = try await harness.sync()
    // An API answering with a tenth of its list: nothing is removed yet, so nothing to refuse.
    harness.source.list("10.0.0.0/24")
    let partial = try await harness.sync()
    #expect(partial.plan.removed.isEmpty)
    #expect(
      DualStackSet(prefixes: partial.plan.retained.map(\.prefix))
        == DualStackSet(prefixes: many.dropFirst().map(prefix)))
    // A day later all nine would go at once: that is what the guard measures, and refuses.
    harness.clock.advance(seconds: 86_400)
    let refused = await harness.syncFailure()
    #expect(refused?.refusals.map(\.kind) == ["max_shrink_percent"])
    #expect(try harness.kernelSet() == DualStackSet(prefixes: many.map(prefix)))
  }

  @Test func fromCacheKeepsRetainedPrefixesUntilTheirTime() async throws {
    let harness = try harness()
    harness.source.list("192.0.2.0/24", "198.51.100.0/24")
    _ = try await harness.sync()
    harness.source.list("192.0.2.0/24")
    _ = try await harness.sync()
    harness.clock.advance(seconds: 3600)
    let boot = try await harness.sync(fromCache: true)
    #expect(boot.plan.retained.map(\.prefix) == [prefix("198.51.100.0/24")])
    #expect(try harness.kernelSet() == addresses("192.0.2.0/24", "198.51.100.0/24"))
    harness.clock.advance(seconds: 86_400)
    let later = try await harness.sync(fromCache: true)
    #expect(later.plan.removed == [prefix("198.51.100.0/24")])
  }

  @Test func aSourceWithoutRetainRemovedDropsAtOnce() async throws {
    let harness = try Harness(sources: ["cdn", "ops"], retainRemoved: ["cdn": Self.day])
    harness.sources[0].list("192.0.2.0/24")
    harness.sources[1].list("198.51.100.0/24", "203.0.113.0/24")
    _ = try await harness.sync()
    harness.sources[1].list("198.51.100.0/24")
    let report = try await harness.sync()
    #expect(report.plan.removed == [prefix("203.0.113.0/24")])
  }

  @Test func aFailingSourceKeepsItsRetainedPrefixesOnItsLastKnownGoodList() async throws {
    let harness = try harness()
    harness.source.list("192.0.2.0/24", "198.51.100.0/24")
    _ = try await harness.sync()
    harness.source.list("192.0.2.0/24")
    _ = try await harness.sync()
    harness.source.fail()
    harness.clock.advance(seconds: 1800)
    let cached = try await harness.sync()
    #expect(cached.plan.isInSync)
    #expect(cached.plan.retained.map(\.prefix) == [prefix("198.51.100.0/24")])
  }

  @Test func aCorruptRecordKeepsWhatNoSourceListsForAFullPeriodFromNow() async throws {
    let harness = try harness()
    harness.source.list("192.0.2.0/24", "198.51.100.0/24")
    _ = try await harness.sync()
    harness.source.list("192.0.2.0/24")
    _ = try await harness.sync()
    try Data("{ not json".utf8).write(to: URL(fileURLWithPath: harness.store.gracePath))
    harness.clock.advance(seconds: 3600)
    let report = try await harness.sync()
    #expect(try harness.kernelSet() == addresses("192.0.2.0/24", "198.51.100.0/24"))
    #expect(report.plan.retained.map(\.removedAt) == [harness.clock.now()])
    #expect(harness.logs.warnings.contains { $0.contains("grace.json is corrupt") })
    // The rewritten record counts from the recovery.
    #expect(
      try harness.store.loadGrace()?.sources["cdn"]?.map(\.removedAt) == [harness.clock.now()])
  }

  @Test func aRecordNamingPrefixesNeverAppliedAllowsNone() async throws {
    let harness = try harness()
    harness.source.list("192.0.2.0/24")
    _ = try await harness.sync()
    let forged = RemovalGrace(sources: [
      "cdn": [RetainedRemoval(set: addresses("0.0.0.0/1"), removedAt: harness.clock.now())]
    ])
    try harness.store.saveGrace(forged)
    let report = try await harness.sync()
    #expect(report.plan.isInSync && report.plan.retained.isEmpty)
    #expect(try harness.kernelSet() == addresses("192.0.2.0/24"))
    #expect(harness.logs.warnings.contains { $0.contains("did not apply") })
  }
}
