import AddressSet
import AddressSources
import Foundation
import Netfilter
import Testing

@testable import OriginGuard

/// Every guard through a whole cycle: a refusal leaves the kernel and the saved state as they
/// were, `--force` gets past the size guards and nothing else.
@Suite("Guards in the cycle")
struct GuardsReconcilerTests {
  /// A harness whose kernel already holds `initial` (one sync), with its generation and
  /// header as they were after that sync.
  private func synced(
    _ initial: [String], guards: GuardSettings = testGuards
  ) async throws -> (Harness, UInt32, Data?) {
    let h = try Harness(guards: guards)
    h.source.respond(h.source.entries(initial))
    _ = try await h.sync()
    return (h, h.generation, FileManager.default.contents(atPath: h.store.headerPath))
  }

  /// The kernel, the generation and the saved state are exactly as before.
  private func expectUntouched(
    _ h: Harness, generation: UInt32, header: Data?, kernel: DualStackSet?,
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    #expect(h.generation == generation, sourceLocation: sourceLocation)
    #expect(try h.kernelSet() == kernel, sourceLocation: sourceLocation)
    #expect(
      FileManager.default.contents(atPath: h.store.headerPath) == header,
      sourceLocation: sourceLocation)
  }

  @Test func anEmptyListIsRefusedEvenWithForce() async throws {
    let (h, generation, header) = try await synced(["192.0.2.0/24"])
    h.source.respond(.entries([]))

    for force in [false, true] {
      let error = try #require(await h.syncFailure(force: force))
      #expect(error.refusals == [.emptyList])
      #expect(error.exitCode == .refused)
      try expectUntouched(
        h, generation: generation, header: header, kernel: addresses("192.0.2.0/24"))
    }
  }

  @Test func fewerThanMinEntriesIsRefusedAndForceOverridesIt() async throws {
    var guards = testGuards
    guards.minEntries = 3
    let h = try Harness(guards: guards)
    h.source.list("192.0.2.0/24", "2001:db8::/48")
    let generation = h.generation

    let error = try #require(await h.syncFailure())
    #expect(error.refusals == [.tooFewEntries(count: 2, minimum: 3)])
    #expect(error.exitCode == .refused)
    guard case .refused(_, let plan) = error else { return }
    #expect(plan == nil)  // refused before the kernel was read
    try expectUntouched(h, generation: generation, header: nil, kernel: nil)

    let report = try await h.sync(force: true)
    #expect(report.applied)
    #expect(report.overriddenRefusals == [.tooFewEntries(count: 2, minimum: 3)])
    #expect(report.summary.contains("forced past min_entries"))
    #expect(try h.kernelSet() == addresses("192.0.2.0/24", "2001:db8::/48"))
  }

  @Test func entriesAreCountedAfterMerging() async throws {
    var guards = testGuards
    guards.minEntries = 2
    let h = try Harness(guards: guards)
    // Two /25s make one /24: one prefix in the merged list.
    h.source.list("192.0.2.0/25", "192.0.2.128/25")
    let error = try #require(await h.syncFailure())
    #expect(error.refusals == [.tooFewEntries(count: 1, minimum: 2)])
  }

  @Test func moreThanMaxEntriesIsRefusedAndForceOverridesIt() async throws {
    var guards = testGuards
    guards.maxEntries = 2
    let (h, generation, header) = try await synced(["192.0.2.0/24"], guards: guards)
    h.source.list("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")

    let error = try #require(await h.syncFailure())
    #expect(error.refusals == [.tooManyEntries(count: 3, maximum: 2)])
    #expect(error.exitCode == .refused)
    try expectUntouched(
      h, generation: generation, header: header, kernel: addresses("192.0.2.0/24"))

    let report = try await h.sync(force: true)
    #expect(report.overriddenRefusals == [.tooManyEntries(count: 3, maximum: 2)])
    #expect(try h.kernelSet() == addresses("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"))
  }

  @Test func shrinkingOneFamilyTooMuchIsRefusedWithThePlan() async throws {
    let (h, generation, header) = try await synced([
      "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/48", "2001:db8:1::/48",
    ])
    let before = try h.kernelSet()
    // IPv4 loses 2 of 3 /24s (66.7%); IPv6 loses nothing.
    h.source.list("192.0.2.0/24", "2001:db8::/48", "2001:db8:1::/48")

    let error = try #require(await h.syncFailure())
    guard case .refused(let refusals, let plan) = error else {
      Issue.record("expected a refusal, got \(error)")
      return
    }
    #expect(refusals.count == 1)
    guard case .shrinksTooMuch(let family, let removed, let maximum, .lastApplied) = refusals.first
    else {
      Issue.record("expected a shrink refusal, got \(refusals)")
      return
    }
    #expect(family == .ipv4)
    #expect(abs(removed - 200.0 / 3) < 0.001)
    #expect(maximum == 50)
    #expect(refusals[0].isOverridable)
    #expect(
      refusals[0].description.contains("66.7% of the ipv4 addresses origin-guard last applied"))
    #expect(plan?.removed == [prefix("198.51.100.0/24"), prefix("203.0.113.0/24")])
    #expect(error.exitCode == .refused)
    try expectUntouched(h, generation: generation, header: header, kernel: before)
  }

  @Test func theShrinkGuardChecksEachFamilyOnItsOwn() async throws {
    let (h, generation, header) = try await synced([
      "192.0.2.0/24", "198.51.100.0/24", "2001:db8::/48", "2001:db8:1::/48", "2001:db8:2::/48",
    ])
    let before = try h.kernelSet()
    // IPv4 grows, IPv6 loses two thirds: the growth elsewhere does not dilute the shrink.
    h.source.list(
      "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "100.64.0.0/16", "2001:db8::/48")

    let error = try #require(await h.syncFailure())
    #expect(error.refusals.map(\.kind) == ["max_shrink_percent"])
    if case .shrinksTooMuch(let family, _, _, _) = error.refusals.first {
      #expect(family == .ipv6)
    }
    try expectUntouched(h, generation: generation, header: header, kernel: before)
  }

  @Test func aShrinkOfExactlyTheLimitIsAllowed() async throws {
    let (h, _, _) = try await synced(["192.0.2.0/24", "198.51.100.0/24"])
    h.source.list("192.0.2.0/24")
    let report = try await h.sync()
    #expect(report.applied)
    #expect(report.plan.removed == [prefix("198.51.100.0/24")])
  }

  @Test func forceGetsPastTheShrinkGuard() async throws {
    let (h, _, _) = try await synced(["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"])
    h.source.list("192.0.2.0/24")

    let report = try await h.sync(force: true)
    #expect(report.applied)
    #expect(report.overriddenRefusals.map(\.kind) == ["max_shrink_percent"])
    #expect(try h.kernelSet() == addresses("192.0.2.0/24"))
  }

  @Test func aForcedShrinkIsReportedOnceWhenTheCommitIsRetried() async throws {
    let (h, _, _) = try await synced(["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"])
    h.source.list("192.0.2.0/24")
    let backend = HookedBackend.racing(h.fake, foreignCommits: 2)

    let report = try await h.sync(force: true, backend: backend)
    #expect(report.generationRetries == 2)
    #expect(report.overriddenRefusals.map(\.kind) == ["max_shrink_percent"])
    #expect(try h.kernelSet() == addresses("192.0.2.0/24"))
  }

  @Test func aPrefixBroaderThanTheMinimumIsRefusedWithItsSourceEvenWithForce() async throws {
    let (h, generation, header) = try await synced(["192.0.2.0/24"])
    h.source.list("192.0.2.0/24", "10.0.0.0/7", "2001:db8::/48", "2001::/16")

    for force in [false, true] {
      let error = try #require(await h.syncFailure(force: force))
      #expect(
        error.refusals == [
          .prefixTooBroad(
            prefix: prefix("10.0.0.0/7"), minimumLength: 8,
            provenance: [Provenance(source: "cdn", origin: .url(h.source.url, line: 2))]),
          .prefixTooBroad(
            prefix: prefix("2001::/16"), minimumLength: 32,
            provenance: [
              // Most specific first: the /48 inside the merged /16, then the /16 itself.
              Provenance(source: "cdn", origin: .url(h.source.url, line: 3)),
              Provenance(source: "cdn", origin: .url(h.source.url, line: 4)),
            ]),
        ])
      #expect(error.refusals.allSatisfy { !$0.isOverridable })
      #expect(error.exitCode == .refused)
      #expect(error.description.contains("10.0.0.0/7 is broader than /8"))
      #expect(error.description.contains("source cdn, URL \(h.source.url) line 2"))
      try expectUntouched(
        h, generation: generation, header: header, kernel: addresses("192.0.2.0/24"))
    }
  }

  @Test func theWholeAddressSpaceIsRefusedInEitherFamilyEvenWithForce() async throws {
    let (h, generation, header) = try await synced(["192.0.2.0/24"])
    h.source.list("0.0.0.0/0", "::/0")

    for force in [false, true] {
      let error = try #require(await h.syncFailure(force: force))
      #expect(error.refusals.map(\.kind) == ["allows_everything", "allows_everything"])
      #expect(
        error.refusals.first
          == .allowsEverything(
            prefix: prefix("0.0.0.0/0"),
            provenance: [Provenance(source: "cdn", origin: .url(h.source.url, line: 1))]))
      #expect(
        error.refusals.last
          == .allowsEverything(
            prefix: prefix("::/0"),
            provenance: [Provenance(source: "cdn", origin: .url(h.source.url, line: 2))]))
      try expectUntouched(
        h, generation: generation, header: header, kernel: addresses("192.0.2.0/24"))
    }
  }

  @Test func halvesThatMergeIntoTheWholeSpaceAreRefused() async throws {
    var guards = testGuards
    guards.minPrefixLengthV4 = 1
    let h = try Harness(guards: guards)
    h.source.list("0.0.0.0/1", "128.0.0.0/1")
    let error = try #require(await h.syncFailure(force: true))
    #expect(error.refusals.map(\.kind) == ["allows_everything"])
    #expect(h.commitCount == 0)
  }

  @Test func forceDoesNotOverrideWhenAnyRefusalIsNotASizeGuard() async throws {
    var guards = testGuards
    guards.minEntries = 5
    let h = try Harness(guards: guards)
    h.source.list("10.0.0.0/7")
    let error = try #require(await h.syncFailure(force: true))
    #expect(error.refusals.map(\.kind) == ["min_prefix_length", "min_entries"])
    #expect(h.commitCount == 0)
  }

  @Test func guardsReportEveryRefusalAtOnce() {
    var settings = testGuards
    settings.minEntries = 10
    let guards = Guards(settings: settings)
    let combined = CombinedSources([
      SourceResult(
        source: "cdn", kind: .static,
        entries: ["0.0.0.0/0", "2001::/16"].map {
          SourceEntry(prefix: prefix($0), origin: .configuration)
        }, fetchedAt: testEpoch, version: SourceVersion(checksum: "x"))
    ])
    #expect(
      guards.check(combined).map(\.kind) == [
        "allows_everything", "min_prefix_length", "min_entries",
      ])
  }

  @Test func shrinkFromNothingIsNoShrink() {
    let guards = Guards(settings: testGuards)
    #expect(guards.checkShrink(current: DualStackSet(), desired: addresses("192.0.2.0/24")).isEmpty)
    #expect(
      guards.checkShrink(current: addresses("192.0.2.0/24"), desired: DualStackSet()).map(\.kind)
        == ["max_shrink_percent"])
  }
}
