import AddressSet
import AddressSources
import Foundation
import Netfilter
import Testing

@testable import OriginGuard

/// A failed source falls back to its last-known-good list while that is younger than
/// `max_stale` (one hour in the harness); otherwise nothing changes.
@Suite("Reconciler: source failures and the last-known-good lists")
struct ReconcilerSourceFailureTests {
  @Test func aFailedSourceWithAYoungCacheUsesItAndTheCycleSucceeds() async throws {
    let h = try Harness()
    h.source.list("192.0.2.0/24", "2001:db8::/48")
    _ = try await h.sync()
    let commits = h.commitCount

    h.clock.advance(seconds: 30 * 60)
    h.source.fail()
    let report = try await h.sync()

    guard case .cached(let snapshot, let age, let error) = try #require(report.outcomes.first)
    else {
      Issue.record("expected a cached outcome, got \(report.outcomes)")
      return
    }
    #expect(age == .seconds(1800))
    #expect(error?.description.contains("connection refused") == true)
    #expect(snapshot.fetchedAt == testEpoch)
    #expect(report.outcomes.first?.status == "cache (30m old)")
    #expect(report.plan.isInSync)
    #expect(h.commitCount == commits)
    #expect(try h.kernelSet() == addresses("192.0.2.0/24", "2001:db8::/48"))
    #expect(
      h.logs.warnings.contains { $0.contains("last-known-good list of source cdn (30m old)") })
  }

  @Test func theKernelGetsTheCachedListWhenItLostIt() async throws {
    let h = try Harness()
    h.source.list("192.0.2.0/24", "2001:db8::/48")
    _ = try await h.sync()
    h.fake.simulateTableDeletion("origin_guard")

    h.clock.advance(seconds: 60)
    h.source.fail()
    let report = try await h.sync()

    #expect(report.applied)
    #expect(report.outcomes.first?.status == "cache (60s old)")
    #expect(try h.kernelSet() == addresses("192.0.2.0/24", "2001:db8::/48"))
  }

  @Test func aFreshSourceAndACachedOneAreMerged() async throws {
    let h = try Harness(sources: ["cdn", "alb"])
    h.sources[0].list("192.0.2.0/24")
    h.sources[1].list("100.64.0.0/10")
    _ = try await h.sync()

    h.clock.advance(seconds: 600)
    h.sources[0].list("192.0.2.0/24", "198.51.100.0/24")
    h.sources[1].fail()
    let report = try await h.sync()

    #expect(report.outcomes.map(\.status) == ["fresh", "cache (10m old)"])
    #expect(report.plan.added == [prefix("198.51.100.0/24")])
    #expect(try h.kernelSet() == addresses("192.0.2.0/24", "198.51.100.0/24", "100.64.0.0/10"))
    // The cached source keeps its provenance (the plan indexes changed prefixes only).
    let merged = ProvenanceIndex(CombinedSources(report.outcomes.compactMap(\.result)))
    #expect(
      merged.contributors(prefix("100.64.0.0/10"))
        == [Provenance(source: "alb", origin: .url(h.sources[1].url, line: 1))])
  }

  @Test func aCacheOlderThanMaxStaleFailsTheCycleAndChangesNothing() async throws {
    let h = try Harness()
    h.source.list("192.0.2.0/24")
    _ = try await h.sync()
    let generation = h.generation
    let header = FileManager.default.contents(atPath: h.store.headerPath)

    h.clock.advance(seconds: 2 * 3600)
    h.source.list("192.0.2.0/24", "198.51.100.0/24")
    h.source.fail()
    let error = try #require(await h.syncFailure())

    guard case .sourcesFailed(let outcomes) = error,
      case .failed(let sourceError, let cacheAge) = outcomes.first
    else {
      Issue.record("expected a source failure, got \(error)")
      return
    }
    #expect(sourceError.source == "cdn")
    #expect(cacheAge == .seconds(7200))
    #expect(error.exitCode == .sourceFailed)
    #expect(error.description.contains("(last-known-good list is 2h old, older than max_stale)"))
    #expect(h.generation == generation)
    #expect(FileManager.default.contents(atPath: h.store.headerPath) == header)
  }

  @Test func standingInDoesNotMakeTheCacheYounger() async throws {
    let h = try Harness()
    h.source.list("192.0.2.0/24")
    _ = try await h.sync()

    h.source.fail()
    h.clock.advance(seconds: 40 * 60)
    _ = try await h.sync()  // cached, 40 minutes old; the state is saved again
    h.clock.advance(seconds: 30 * 60)
    let error = try #require(await h.syncFailure())  // the same list, now 70 minutes old

    guard case .sourcesFailed(let outcomes) = error, case .failed(_, let age) = outcomes.first
    else {
      Issue.record("expected a source failure, got \(error)")
      return
    }
    #expect(age == .seconds(70 * 60))
  }

  @Test func aSourceWithoutAnyCacheFailsTheCycle() async throws {
    let h = try Harness()
    h.source.fail()

    let error = try #require(await h.syncFailure())
    guard case .sourcesFailed(let outcomes) = error else {
      Issue.record("expected a source failure, got \(error)")
      return
    }
    guard case .failed(_, let cacheAge) = outcomes.first else {
      Issue.record("expected a failed outcome, got \(outcomes)")
      return
    }
    #expect(cacheAge == nil)
    #expect(error.exitCode == .sourceFailed)
    #expect(error.description.contains("(no last-known-good list)"))
    #expect(h.commitCount == 0)
    #expect(try h.kernelState() == nil)
  }

  @Test func oneFailedSourceStopsTheCycleEvenWhenTheOthersWork() async throws {
    let h = try Harness(sources: ["cdn", "alb"])
    h.sources[0].list("192.0.2.0/24")
    h.sources[1].fail()

    let error = try #require(await h.syncFailure())
    guard case .sourcesFailed(let outcomes) = error else {
      Issue.record("expected a source failure, got \(error)")
      return
    }
    #expect(outcomes.map(\.status) == ["fresh", "failed"])
    #expect(h.commitCount == 0)
  }

  @Test func fromCacheUsesTheSavedListsWithoutFetching() async throws {
    let h = try Harness(sources: ["cdn", "alb"])
    h.sources[0].list("192.0.2.0/24")
    h.sources[1].list("2001:db8::/48")
    _ = try await h.sync()
    #expect(h.sources.map(\.callCount) == [1, 1])
    // A reboot: the kernel is empty, the network is not up yet.
    h.fake.simulateTableDeletion("origin_guard")
    h.clock.advance(seconds: 3 * 86_400)  // older than max_stale: --from-cache applies anyway

    let report = try await h.sync(fromCache: true)

    #expect(h.sources.map(\.callCount) == [1, 1])
    #expect(report.applied)
    for outcome in report.outcomes {
      guard case .cached(_, let age, let error) = outcome else {
        Issue.record("expected cached outcomes, got \(report.outcomes)")
        continue
      }
      #expect(age == .seconds(3 * 86_400))
      #expect(error == nil)
    }
    #expect(try h.kernelSet() == addresses("192.0.2.0/24", "2001:db8::/48"))
  }

  @Test func fromCacheWithoutACacheFails() async throws {
    let h = try Harness()
    h.source.list("192.0.2.0/24")

    let error = try #require(await h.syncFailure(fromCache: true))
    guard case .noCache(let source) = error else {
      Issue.record("expected .noCache, got \(error)")
      return
    }
    #expect(source == "cdn")
    #expect(error.exitCode == .sourceFailed)
    #expect(h.source.callCount == 0)
    #expect(h.commitCount == 0)
  }

  @Test func fromCacheFailsWhenOneSourceWasNeverSaved() async throws {
    let h = try Harness(sources: ["cdn"])
    h.source.list("192.0.2.0/24")
    _ = try await h.sync()
    // The configuration gains a source that never synced.
    let h2 = try Harness(sources: ["cdn", "new"])
    try FileManager.default.createDirectory(
      atPath: h2.configuration.stateDirectory, withIntermediateDirectories: true)
    try FileManager.default.removeItem(atPath: h2.configuration.stateDirectory)
    try FileManager.default.copyItem(
      atPath: h.configuration.stateDirectory, toPath: h2.configuration.stateDirectory)

    let error = try #require(await h2.syncFailure(fromCache: true))
    guard case .noCache(let source) = error else {
      Issue.record("expected .noCache, got \(error)")
      return
    }
    #expect(source == "new")
  }
}
