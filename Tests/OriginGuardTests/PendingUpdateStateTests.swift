import AddressSet
import AddressSources
import Foundation
import Testing

@testable import OriginGuard

/// A pending provider update (ESA `NeedUpdate`) is dated from the sync that first saw it, kept
/// in the state directory across syncs, and named by `plan`.
@Suite(.timeLimit(.minutes(1))) struct PendingUpdateStateTests {
  func update(since: Date, checksum: String = "sha256:b") -> PendingUpdate {
    PendingUpdate(
      subject: "ESA site 1", added: 2, removed: 1, latestChecksum: checksum, since: since)
  }

  @Test func sinceIsWhenFirstSeenAndSurvivesSyncs() async throws {
    let harness = try Harness()
    harness.source.list("192.0.2.0/24", "198.51.100.0/24")
    harness.source.reportPending([update(since: harness.clock.now())])
    _ = try await harness.sync()
    let firstSeen = harness.clock.now()

    harness.clock.advance(seconds: 3600)
    // The source itself only knows "now"; the state knows when we first saw it.
    harness.source.reportPending([update(since: harness.clock.now())])
    let report = try await harness.sync()
    #expect(report.outcomes.first?.result?.pendingUpdates.map(\.since) == [firstSeen])
    let record = try #require(try harness.store.loadHeader()?.sources["cdn"])
    #expect(record.pendingUpdates?.map(\.since) == [firstSeen])

    let text = PlanRenderer.text(try await harness.plan(), table: harness.ruleset.tableName)
    #expect(
      text.contains(
        "ESA site 1: update awaiting confirmation since 2026-01-01T00:00:00Z adds 2, removes 1 prefixes"
      ))

    // Another newer list is another update: dated anew.
    harness.clock.advance(seconds: 60)
    harness.source.reportPending([update(since: harness.clock.now(), checksum: "sha256:c")])
    let other = try await harness.sync()
    #expect(other.outcomes.first?.result?.pendingUpdates.map(\.since) == [harness.clock.now()])

    // Confirmed: nothing pending any more, nothing recorded.
    harness.source.reportPending([])
    _ = try await harness.sync()
    #expect(try harness.store.loadHeader()?.sources["cdn"]?.pendingUpdates == nil)
  }

  @Test func fromCacheKeepsThePendingUpdate() async throws {
    let harness = try Harness()
    harness.source.list("192.0.2.0/24")
    harness.source.reportPending([update(since: harness.clock.now())])
    _ = try await harness.sync()
    let cached = try await harness.sync(fromCache: true)
    #expect(cached.outcomes.first?.result?.pendingUpdates.map(\.subject) == ["ESA site 1"])
  }

  @Test func aSourceRecordOfAnOlderVersionLoads() throws {
    let json = #"""
      {"kind":"alibaba-esa","fetched_at":"2026-01-01T00:00:00Z","version":"v","content_checksum":"c",
       "list":{"file":"f","checksum":"sha256:0","count":1}}
      """#
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .iso8601
    let record = try decoder.decode(StateHeader.SourceRecord.self, from: Data(json.utf8))
    #expect(record.pendingUpdates == nil)
  }
}
