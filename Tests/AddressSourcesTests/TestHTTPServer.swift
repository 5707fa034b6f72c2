import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A request as the test server received it.
struct TestRequest: Sendable {
  let method: HTTPMethod
  let uri: String
  let headers: HTTPHeaders
  let body: [UInt8]

  var path: String { String(uri.split(separator: "?", maxSplits: 1).first ?? "") }
  var rawQuery: String {
    let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
    return parts.count == 2 ? String(parts[1]) : ""
  }
  /// Query parameters, percent-decoded.
  var query: [String: String] {
    var result: [String: String] = [:]
    for pair in rawQuery.split(separator: "&") {
      let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
      let name = String(parts[0]).removingPercentEncoding ?? String(parts[0])
      let value =
        parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? String(parts[1])) : ""
      result[name] = value
    }
    return result
  }
  func header(_ name: String) -> String? { headers.first(name: name) }
}

/// What the test server does with a request.
indirect enum TestResponse: Sendable {
  case reply(status: HTTPResponseStatus, headers: [(String, String)], body: [UInt8])
  /// Waits before answering at all.
  case delayed(Duration, TestResponse)
  /// Sends the head and the first bytes, then nothing for `stall`.
  case stallBody(status: HTTPResponseStatus, firstBytes: [UInt8], stall: Duration)
  /// Streams `count` chunks without a Content-Length (chunked encoding), as a huge body would.
  case stream(status: HTTPResponseStatus, chunk: [UInt8], count: Int)

  static func json(
    _ text: String, status: HTTPResponseStatus = .ok, headers: [(String, String)] = []
  ) -> TestResponse {
    .reply(
      status: status, headers: [("content-type", "application/json;charset=utf-8")] + headers,
      body: Array(text.utf8))
  }

  static func text(
    _ text: String, status: HTTPResponseStatus = .ok, headers: [(String, String)] = []
  ) -> TestResponse {
    .reply(
      status: status, headers: [("content-type", "text/plain")] + headers, body: Array(text.utf8))
  }
}

/// Requests the server saw, in order.
final class RequestLog: @unchecked Sendable {
  private let lock = NSLock()
  private var entries: [TestRequest] = []
  func append(_ request: TestRequest) { lock.withLock { entries.append(request) } }
  var requests: [TestRequest] { lock.withLock { entries } }
}

/// An HTTP/1.1 server on 127.0.0.1 with an ephemeral port, alive for the duration of `body`.
/// Written with SwiftNIO's async channels; every connection is served in its own task, with
/// keep-alive, so AsyncHTTPClient's connection reuse is exercised as in production.
func withTestServer<T: Sendable>(
  _ handler: @escaping @Sendable (TestRequest) async -> TestResponse,
  _ body: (_ baseURL: String, _ log: RequestLog) async throws -> T
) async throws -> T {
  let log = RequestLog()
  let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .bind(host: "127.0.0.1", port: 0) { channel in
      channel.eventLoop.makeCompletedFuture {
        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
        return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(
          wrappingChannelSynchronously: channel)
      }
    }
  let port = server.channel.localAddress!.port!
  // Shutting down: close the listening socket first, so that every connection it accepted is
  // still handed out and closed properly (a connection dropped unconsumed traps in NIO), then
  // end the connections clients keep alive.
  let accepting = Task {
    await withDiscardingTaskGroup { connections in
      try? await server.executeThenClose { inbound in
        for try await connection in inbound {
          connections.addTask {
            try? await serve(connection, handler: handler, log: log)
          }
        }
      }
      connections.cancelAll()
    }
  }
  let result: Result<T, any Error>
  do {
    result = .success(try await body("http://127.0.0.1:\(port)", log))
  } catch {
    result = .failure(error)
  }
  try? await server.channel.close()
  await accepting.value
  return try result.get()
}

private func serve(
  _ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>,
  handler: @Sendable (TestRequest) async -> TestResponse, log: RequestLog
) async throws {
  try await connection.executeThenClose { inbound, outbound in
    var head: HTTPRequestHead?
    var body: [UInt8] = []
    for try await part in inbound {
      switch part {
      case .head(let requestHead):
        head = requestHead
        body = []
      case .body(let buffer):
        body += buffer.readableBytesView
      case .end:
        guard let requestHead = head else { return }
        let request = TestRequest(
          method: requestHead.method, uri: requestHead.uri, headers: requestHead.headers, body: body
        )
        log.append(request)
        try await write(await handler(request), to: outbound)
        if !requestHead.isKeepAlive { return }
      }
    }
  }
}

private func write(
  _ response: TestResponse, to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>
)
  async throws
{
  switch response {
  case .reply(let status, let headers, let body):
    var head = HTTPResponseHead(version: .http1_1, status: status, headers: HTTPHeaders(headers))
    head.headers.replaceOrAdd(name: "content-length", value: String(body.count))
    try await outbound.write(.head(head))
    try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body))))
    try await outbound.write(.end(nil))
  case .delayed(let delay, let response):
    try await Task.sleep(for: delay)
    try await write(response, to: outbound)
  case .stallBody(let status, let firstBytes, let stall):
    let head = HTTPResponseHead(
      version: .http1_1, status: status,
      headers: ["content-length": String(firstBytes.count + 1000)])
    try await outbound.write(.head(head))
    try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: firstBytes))))
    try await Task.sleep(for: stall)
    throw CancellationError()
  case .stream(let status, let chunk, let count):
    try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: status)))
    let buffer = ByteBuffer(bytes: chunk)
    for _ in 0..<count {
      // Fails as soon as the client hangs up, which is what the size limit test wants.
      try await outbound.write(.body(.byteBuffer(buffer)))
    }
    try await outbound.write(.end(nil))
  }
}

/// `http://127.0.0.1:<port>` where connections are refused, for as long as `body` runs: a TCP
/// socket bound to the port but never listening. A server that was closed is not enough: a
/// test running in parallel may be handed the same ephemeral port.
func withRefusingPort<T>(_ body: (_ baseURL: String) async throws -> T) async throws -> T {
  let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
  guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
  defer { close(fd) }
  var address = sockaddr_in()
  address.sin_family = sa_family_t(AF_INET)
  address.sin_addr.s_addr = inet_addr("127.0.0.1")
  address.sin_port = 0
  let length = socklen_t(MemoryLayout<sockaddr_in>.size)
  let bound = withUnsafePointer(to: &address) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
  }
  guard bound == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
  var actual = sockaddr_in()
  var actualLength = length
  _ = withUnsafeMutablePointer(to: &actual) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &actualLength) }
  }
  return try await body("http://127.0.0.1:\(UInt16(bigEndian: actual.sin_port))")
}
