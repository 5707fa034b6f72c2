import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

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

  var description: String {
    switch self {
    case .timedOut: "timed out"
    case .bodyTooLarge: "response too large"
    case .connection(let reason): reason
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

  func send(
    _ method: HTTPMethod, _ url: String, headers: [(String, String)] = [], body: Data? = nil
  ) async throws(TransportFailure) -> HTTPResponseData {
    var request = HTTPClientRequest(url: url)
    request.method = method
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
    let limit = options.maxBodyBytes
    do {
      // The deadline covers the whole exchange, body included: AsyncHTTPClient fails the body
      // stream when it passes.
      let response = try await client.execute(
        request, deadline: .now() + TimeAmount(options.timeout))
      if let length = response.headers.first(name: "content-length").flatMap(Int.init),
        length > limit
      {
        throw TransportFailure.bodyTooLarge
      }
      var collected = Data()
      for try await chunk in response.body {
        // Leaving the loop drops the stream, which closes the connection: nothing past the
        // limit is ever buffered.
        guard collected.count + chunk.readableBytes <= limit else {
          throw TransportFailure.bodyTooLarge
        }
        collected.append(contentsOf: chunk.readableBytesView)
      }
      return HTTPResponseData(
        status: Int(response.status.code), headers: response.headers, body: collected)
    } catch let failure as TransportFailure {
      throw failure
    } catch let error as HTTPClientError
      where [.deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout].contains(error)
    {
      throw .timedOut
    } catch {
      throw .connection(Self.describe(error))
    }
  }

  /// Names the transport failure as a source error for `url`.
  func sourceError(_ failure: TransportFailure, source: String, url: String) -> SourceError {
    switch failure {
    case .timedOut: .timedOut(source: source, url: url, after: options.timeout)
    case .bodyTooLarge: .bodyTooLarge(source: source, url: url, limit: options.maxBodyBytes)
    case .connection(let reason): .connectionFailed(source: source, url: url, reason: reason)
    }
  }

  private static func describe(_ error: any Error) -> String {
    if let error = error as? HTTPClientError { return error.description }
    return String(describing: error)
  }
}

extension TimeAmount {
  init(_ duration: Duration) {
    let (seconds, attoseconds) = duration.components
    self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
  }
}
