import Foundation

/// Spaces the starts of API calls at least `1 / callsPerSecond` apart, retries included, so a
/// long domain list stays far below the API's limit (40 calls/s per account for
/// DescribeL2VipsByDomain, shared with every other tool of the account).
actor CallPacer {
  private let interval: TimeInterval
  private let clock: any SourceClock
  private var nextStart: Date?

  init(callsPerSecond: Double, clock: any SourceClock) {
    self.interval = 1 / callsPerSecond
    self.clock = clock
  }

  func waitForTurn() async {
    let now = clock.now()
    let start = max(now, nextStart ?? now)
    // Reserve the slot before sleeping: the actor may serve other callers meanwhile.
    nextStart = start.addingTimeInterval(interval)
    let wait = start.timeIntervalSince(now)
    if wait > 0 { try? await clock.sleep(for: .nanoseconds(Int64((wait * 1e9).rounded()))) }
  }
}
