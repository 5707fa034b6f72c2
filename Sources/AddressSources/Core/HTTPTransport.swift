import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A complete HTTP response, body read up to the size limit.
struct HTTPResponseData: Sendable {
  let status: Int
  let headers: HTTPHeaders
  let body: Data
}

/// Failures below HTTP, before they are given a source name.
enum TransportFailure: Error, CustomStringConvertible {
  case timedOut
  case bodyTooLarge
  case connection(String)
  /// The server's certificate failed verification: retrying meets the same certificate.
  case certificateRejected(String)
  /// The task was cancelled (the daemon is shutting down), not the server's fault.
  case cancelled

  var description: String {
    switch self {
    case .timedOut: "timed out"
    case .bodyTooLarge: "response too large"
    case .connection(let reason), .certificateRejected(let reason): reason
    case .cancelled: "cancelled"
    }
  }
}

/// One HTTP client for the duration of one fetch, with the source's timeouts and size limit.
///
/// TLS certificate verification is AsyncHTTPClient's default and cannot be turned off here.
/// Redirects are not followed by the client: AsyncHTTPClient would follow https:// to http://,
/// so callers that want redirects follow them through `EndpointPolicy`.
struct HTTPTransport: Sendable {
  let client: HTTPClient
  let options: HTTPOptions

  /// Creates a client, runs `body` with it and shuts the client down, whatever happens.
  static func with<T, Failure: Error>(
    _ options: HTTPOptions, _ body: (HTTPTransport) async throws(Failure) -> T
  ) async throws(Failure) -> T {
    var configuration = HTTPClient.Configuration()
    configuration.timeout = HTTPClient.Configuration.Timeout(
      connect: TimeAmount(options.connectTimeout))
    configuration.redirectConfiguration = .disallow
    // By default the pool retries a failed connection attempt, with backoff, until the connect
    // timeout: a refused port or an untrusted certificate then takes the whole timeout (31 s)
    // on every attempt, holding the lock. Fail at once instead; `Retrying` decides what to
    // try again.
    configuration.connectionPool.retryConnectionEstablishment = false
    let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    let result: Result<T, Failure>
    do {
      result = .success(try await body(HTTPTransport(client: client, options: options)))
    } catch {
      result = .failure(error)
    }
    try? await client.shutdown()
    return try result.get()
  }

  /// One request, bounded by `options.timeout` from the first byte sent to the last byte
  /// received. AsyncHTTPClient's deadline alone does not stop a body that stalls after the
  /// head arrived, so the exchange races a timer and is cancelled when the timer wins.
  func send(
    _ method: HTTPMethod, _ url: String, headers: [(String, String)] = [], body: Data? = nil
  ) async throws(TransportFailure) -> HTTPResponseData {
    let timeout = options.timeout
    let outcome = await withTaskGroup(of: Result<HTTPResponseData, TransportFailure>?.self) {
      group -> Result<HTTPResponseData, TransportFailure> in
      group.addTask { await self.exchange(method, url, headers: headers, body: body) }
      group.addTask {
        // nil when cancelled: the exchange finished first, or the task was cancelled.
        (try? await Task.sleep(for: timeout)).map { .failure(.timedOut) }
      }
      let first = await group.next() ?? nil
      group.cancelAll()
      if case .success(let response)? = first { return .success(response) }
      // Cancelled from outside (the daemon shutting down): that is no timeout, and whatever
      // the cancelled exchange reported is not the server's fault either.
      if Task.isCancelled { return .failure(.cancelled) }
      return first ?? .failure(.cancelled)
    }
    return try outcome.get()
  }

  private func exchange(
    _ method: HTTPMethod, _ url: String, headers: [(String, String)], body: Data?
  ) async -> Result<HTTPResponseData, TransportFailure> {
    var request = HTTPClientRequest(url: url)
    request.method = method
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
    let limit = options.maxBodyBytes
    do {
      let response = try await client.execute(
        request, deadline: .now() + TimeAmount(options.timeout))
      if let length = response.headers.first(name: "content-length").flatMap(Int.init),
        length > limit
      {
        return .failure(.bodyTooLarge)
      }
      var collected = Data()
      for try await chunk in response.body {
        // Leaving the loop drops the stream, which closes the connection: nothing past the
        // limit is ever buffered.
        guard collected.count + chunk.readableBytes <= limit else { return .failure(.bodyTooLarge) }
        collected.append(contentsOf: chunk.readableBytesView)
      }
      return .success(
        HTTPResponseData(
          status: Int(response.status.code), headers: response.headers, body: collected))
    } catch let error as HTTPClientError
      where [.deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout].contains(error)
    {
      return .failure(.timedOut)
    } catch {
      return .failure(Self.classify(error))
    }
  }

  /// Names the transport failure as a source error for `url`.
  func sourceError(_ failure: TransportFailure, source: String, url: String) -> SourceError {
    switch failure {
    case .timedOut: .timedOut(source: source, url: url, after: options.timeout)
    case .bodyTooLarge: .bodyTooLarge(source: source, url: url, limit: options.maxBodyBytes)
    case .connection(let reason): .connectionFailed(source: source, url: url, reason: reason)
    case .certificateRejected(let reason):
      .certificateRejected(source: source, url: url, reason: reason)
    case .cancelled: .cancelled(source: source)
    }
  }

  /// Names what went wrong below HTTP in the operator's terms.
  static func classify(_ error: any Error) -> TransportFailure {
    if error is CancellationError || (error as? HTTPClientError) == .cancelled {
      return .cancelled
    }
    if let error = error as? NIOSSLError, case .handshakeFailed(let detail) = error,
      "\(detail)".contains("CERTIFICATE_VERIFY_FAILED")
    {
      return .certificateRejected("\(detail)")
    }
    if let error = error as? NIOSSLExtraError, error == .failedToValidateHostname {
      return .certificateRejected("\(error)")
    }
    if refused(error) {
      return .connection(
        "connection refused (nothing listens on that port: check the URL, and that the server runs)"
      )
    }
    if let error = error as? HTTPClientError { return .connection(error.description) }
    return .connection(String(describing: error))
  }

  private static func refused(_ error: any Error) -> Bool {
    if let error = error as? IOError { return error.errnoCode == ECONNREFUSED }
    if let error = error as? NIOConnectionError {
      return !error.connectionErrors.isEmpty
        && error.connectionErrors.allSatisfy { refused($0.error) }
    }
    return false
  }
}

extension TimeAmount {
  init(_ duration: Duration) {
    let (seconds, attoseconds) = duration.components
    self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
  }
}
