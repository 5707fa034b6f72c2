import AddressSet
import AddressSources
import Foundation
import Testing

@testable import OriginGuard

/// `confirm_after`: a pending update is confirmed once it has been pending that long and the
/// kernel holds both lists; only after a successful sync; a failure only logs.
@Suite(.timeLimit(.minutes(1))) struct UpdateConfirmationTests {
  static let throttled = SourceError.alibabaAPI(
    source: "cdn", origin: .esaSite(siteID: "1", list: "LatestIPWhitelist"),
    error: AlibabaAPIError(
      action: "UpdateOriginProtectionIpWhiteList", code: "Throttling.User",
      message: "Request was denied due to user flow control.", requestID: "R-T", httpStatus: 400))

  func pending(_ harness: Harness) -> PendingUpdate {
    PendingUpdate(
      subject: "ESA site 1", added: 1, removed: 1, latestChecksum: "sha256:b",
      since: harness.clock.now())
  }

  func harness() throws -> Harness {
    let harness = try Harness()
    // Current {A} ∪ latest {B}, as `list: union` gives while an update is pending.
    harness.source.list("192.0.2.0/24", "203.0.113.0/24")
    return harness
  }

  @Test func aPendingUpdateIsConfirmedOnceItHasBeenPendingForConfirmAfter() async throws {
    let harness = try harness()
    harness.source.confirmUpdates(
      after: .seconds(600), answering: .success(.confirmed(requestID: "R-1")))
    let first = pending(harness)
    harness.source.reportPending([first])
    let seen = try await harness.sync()
    #expect(seen.confirmations.isEmpty && harness.source.confirmCalls.isEmpty)

    harness.clock.advance(seconds: 599)
    // The source dates the update "now"; the saved state knows when it was first seen.
    harness.source.reportPending([pending(harness)])
    _ = try await harness.sync()
    #expect(harness.source.confirmCalls.isEmpty)

    harness.clock.advance(seconds: 1)
    harness.source.reportPending([pending(harness)])
    let confirmed = try await harness.sync()
    #expect(harness.source.confirmCalls.map(\.since) == [first.since])
    #expect(
      confirmed.confirmations.map(\.description) == [
        "source cdn: confirmed ESA site 1's update pending since 2026-01-01T00:00:00Z (request id R-1)"
      ])
    #expect(confirmed.summary.contains("confirmed ESA site 1's update"))

    // ESA switched: nothing pending, nothing more to confirm.
    harness.clock.advance(seconds: 300)
    harness.source.reportPending([])
    harness.source.list("203.0.113.0/24")
    _ = try await harness.sync()
    #expect(harness.source.confirmCalls.count == 1)
  }

  @Test func aFailedConfirmationOnlyLogsAndIsTriedAgainNextSync() async throws {
    let harness = try harness()
    harness.source.confirmUpdates(
      after: .zero, answering: .failure(Self.throttled), .success(.confirmed(requestID: "R-2")))
    harness.source.reportPending([pending(harness)])
    let failed = try await harness.sync()
    #expect(try harness.kernelSet() == addresses("192.0.2.0/24", "203.0.113.0/24"))
    #expect(failed.confirmations.count == 1)
    #expect(harness.logs.warnings.contains { $0.contains("could not confirm ESA site 1's update") })
    let generation = harness.generation

    harness.clock.advance(seconds: 300)
    let retried = try await harness.sync()
    #expect(harness.source.confirmCalls.count == 2)
    guard case .success(.confirmed("R-2"))? = retried.confirmations.first?.result else {
      Issue.record("not confirmed: \(retried.confirmations.map(\.description))")
      return
    }
    // Confirming never touches the kernel.
    #expect(harness.generation == generation)
  }

  @Test func planNeverConfirmsAndNeitherDoesASyncThatFails() async throws {
    let harness = try harness()
    harness.source.confirmUpdates(after: .zero)
    harness.source.reportPending([pending(harness)])
    _ = try await harness.plan()
    #expect(harness.source.confirmCalls.isEmpty)
    // A sync the guards refuse confirms nothing either.
    harness.source.list(contentsOf: (0..<200).map { "10.\($0).0.0/24" })
    _ = await harness.syncFailure()
    #expect(harness.source.confirmCalls.isEmpty)
  }

  @Test func aLastKnownGoodListIsNeverConfirmed() async throws {
    let harness = try harness()
    harness.source.reportPending([pending(harness)])
    _ = try await harness.sync()
    harness.source.confirmUpdates(after: .zero)
    harness.source.fail()
    let cached = try await harness.sync()
    #expect(cached.confirmations.isEmpty && harness.source.confirmCalls.isEmpty)
  }
}
