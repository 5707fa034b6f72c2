/// Limits of one HTTP download or API call, configured per source.
public struct HTTPOptions: Hashable, Sendable {
  /// `connect_timeout`: TCP + TLS handshake.
  public var connectTimeout: Duration
  /// `timeout`: the whole request, from connecting to the last body byte.
  public var timeout: Duration
  /// `max_body_bytes`: the download is aborted past this; nothing is buffered beyond it.
  public var maxBodyBytes: Int

  public init(
    connectTimeout: Duration = .seconds(10), timeout: Duration = .seconds(30),
    maxBodyBytes: Int = 8 << 20
  ) {
    self.connectTimeout = connectTimeout
    self.timeout = timeout
    self.maxBodyBytes = maxBodyBytes
  }

  func validate(source: String) throws(SourceError) {
    guard connectTimeout > .zero, timeout > .zero else {
      throw .invalidConfiguration(
        source: source, problem: "connect_timeout and timeout must be positive")
    }
    guard maxBodyBytes > 0 else {
      throw .invalidConfiguration(source: source, problem: "max_body_bytes must be positive")
    }
  }
}

/// Retries of transient failures (throttling, a busy or failing API, timeouts, broken
/// connections): exponential backoff with full jitter, never longer than `maxTotal` in all.
public struct RetryPolicy: Hashable, Sendable {
  /// `retry_max_attempts`: attempts in all, the first included. 1 disables retries.
  public var maxAttempts: Int
  /// `retry_initial_delay`: the backoff before the second attempt; doubles each time.
  public var initialDelay: Duration
  /// `retry_max_delay`: cap of one backoff (and of an `x-acs-retry-after` the server asks for).
  public var maxDelay: Duration
  /// `retry_max_total`: no new attempt starts once this much time has passed since the first.
  public var maxTotal: Duration

  public init(
    maxAttempts: Int = 5, initialDelay: Duration = .milliseconds(500),
    maxDelay: Duration = .seconds(20),
    maxTotal: Duration = .seconds(120)
  ) {
    self.maxAttempts = maxAttempts
    self.initialDelay = initialDelay
    self.maxDelay = maxDelay
    self.maxTotal = maxTotal
  }

  func validate(source: String) throws(SourceError) {
    guard maxAttempts >= 1 else {
      throw .invalidConfiguration(source: source, problem: "retry_max_attempts must be at least 1")
    }
    guard initialDelay >= .zero, maxDelay >= .zero, maxTotal >= .zero else {
      throw .invalidConfiguration(source: source, problem: "retry delays must not be negative")
    }
  }
}
