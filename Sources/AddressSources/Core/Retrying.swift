import Logging

/// Runs an operation again after transient failures, as `RetryPolicy` allows.
struct Retrying {
  let policy: RetryPolicy
  let clock: any SourceClock
  let logger: Logger

  /// Calls `operation` until it succeeds, fails permanently, or the policy is used up.
  /// `what` names the call in log lines ("domain www.example.com").
  func run<T>(_ what: String, _ operation: () async throws(SourceError) -> T)
    async throws(SourceError) -> T
  {
    let start = clock.now()
    var attempt = 1
    while true {
      do {
        return try await operation()
      } catch let failure {
        guard failure.isRetryable else { throw failure }
        let elapsed = Duration.seconds(clock.now().timeIntervalSince(start))
        let delay = delay(after: attempt, requested: Self.retryAfter(of: failure))
        guard attempt < policy.maxAttempts, elapsed + delay <= policy.maxTotal else {
          throw attempt == 1 ? failure : .retriesExhausted(attempts: attempt, last: failure)
        }
        logger.warning("\(what): attempt \(attempt) failed, retrying in \(delay): \(failure)")
        do {
          try await clock.sleep(for: delay)
        } catch {
          // Cancelled while waiting: report what made us wait.
          throw failure
        }
        attempt += 1
      }
    }
  }

  /// Exponential backoff with jitter (a random delay between half and all of it), so that many
  /// hosts throttled at once do not come back in lockstep. A delay the server asks for wins, up to `maxDelay`.
  func delay(after attempt: Int, requested: Duration?) -> Duration {
    if let requested { return min(requested, policy.maxDelay) }
    let exponential = policy.initialDelay * (1 << min(attempt - 1, 30))
    let ceiling = min(exponential, policy.maxDelay)
    let nanoseconds =
      ceiling.components.seconds * 1_000_000_000 + ceiling.components.attoseconds / 1_000_000_000
    guard nanoseconds > 0 else { return .zero }
    return .nanoseconds(Int64.random(in: nanoseconds / 2...nanoseconds))
  }

  private static func retryAfter(of error: SourceError) -> Duration? {
    if case .alibabaAPI(_, _, let apiError) = error { return apiError.retryAfter }
    return nil
  }
}
