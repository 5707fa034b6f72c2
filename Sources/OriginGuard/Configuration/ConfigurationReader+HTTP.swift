import AddressSources

/// The per-source keys of every source that talks HTTP: timeouts, body limit, retries.
extension ConfigurationReader {
  func readHTTPOptions(_ keys: inout MappingReader) -> HTTPOptions {
    var options = HTTPOptions()
    if let timeout = keys.optional("connect_timeout")?.duration(atLeast: .milliseconds(1)) {
      options.connectTimeout = timeout
    }
    if let timeout = keys.optional("timeout")?.duration(atLeast: .milliseconds(1)) {
      options.timeout = timeout
    }
    if let bytes = keys.optional("max_body_bytes")?.integer(in: 1...Int.max) {
      options.maxBodyBytes = bytes
    }
    return options
  }

  /// `retry_*`; `defaults` differ by source type (a URL list is retried less: the next timer
  /// run tries again anyway).
  func readRetryPolicy(_ keys: inout MappingReader, defaults: RetryPolicy) -> RetryPolicy {
    var retry = defaults
    if let attempts = keys.optional("retry_max_attempts")?.integer(in: 1...100) {
      retry.maxAttempts = attempts
    }
    if let delay = keys.optional("retry_initial_delay")?.duration() { retry.initialDelay = delay }
    if let delay = keys.optional("retry_max_delay")?.duration() { retry.maxDelay = delay }
    if let total = keys.optional("retry_max_total")?.duration() { retry.maxTotal = total }
    return retry
  }
}
