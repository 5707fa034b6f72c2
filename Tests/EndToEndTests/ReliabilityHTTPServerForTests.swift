import Foundation
import Glibc
import TestSupport

/// A small HTTP/1.1 server listening on 127.0.0.1 *inside* a throwaway network namespace, so
/// that the origin-guard binary run there (`ip netns exec`) can reach it over its loopback.
///
/// The listening socket is created on a thread of its own that first joins the namespace
/// (`setns`) and then ends; a socket stays in the namespace it was created in, so accepting
/// and serving happen on ordinary threads of the test process. Blocking sockets and one thread
/// per connection: the point is to misbehave on purpose (stall, stream forever, hang up), not
/// to be fast. Every answer closes the connection.
final class NamespaceHTTPServer: @unchecked Sendable {
  struct Request: Sendable {
    var method: String
    var target: String
    var headers: [String: String]

    var path: String { String(target.split(separator: "?", maxSplits: 1).first ?? "") }
    var query: [String: String] {
      guard let query = target.split(separator: "?", maxSplits: 1).dropFirst().first else {
        return [:]
      }
      var result: [String: String] = [:]
      for pair in query.split(separator: "&") {
        let parts = pair.split(separator: "=", maxSplits: 1).map {
          String($0).removingPercentEncoding ?? String($0)
        }
        result[parts[0]] = parts.count > 1 ? parts[1] : ""
      }
      return result
    }
    /// Header names are lower-cased.
    func header(_ name: String) -> String? { headers[name.lowercased()] }
  }

  enum Response: Sendable {
    case reply(status: Int, headers: [(String, String)], body: [UInt8])
    /// Sends the head (announcing `firstBytes.count + 1000` bytes) and `firstBytes`, then
    /// nothing until the client gives up or the server stops.
    case stallBody(status: Int, firstBytes: [UInt8])
    /// Streams `chunk` `count` times without a length, until the client hangs up.
    case stream(status: Int, chunk: [UInt8], count: Int)
    /// Closes the connection without answering.
    case hangUp

    static func text(_ text: String, status: Int = 200, headers: [(String, String)] = [])
      -> Response
    {
      .reply(
        status: status, headers: [("Content-Type", "text/plain")] + headers, body: Array(text.utf8))
    }

    static func json(_ text: String, status: Int = 200, headers: [(String, String)] = [])
      -> Response
    {
      .reply(
        status: status, headers: [("Content-Type", "application/json;charset=utf-8")] + headers,
        body: Array(text.utf8))
    }
  }

  typealias Handler = @Sendable (Request) -> Response

  let port: UInt16
  var baseURL: String { "http://127.0.0.1:\(port)" }

  private let listener: Int32
  private let lock = NSLock()
  private var handler: Handler
  private var stopped = false
  private var openConnections: Set<Int32> = []
  private var received: [Request] = []

  init(in namespace: ThrowawayNamespace, handler: @escaping Handler) throws {
    self.handler = handler
    (listener, port) = try Self.listen(inNamespaceAt: namespace.path)
    let thread = Thread { [self] in acceptLoop() }
    thread.start()
  }

  /// Changes what the server answers from now on.
  func answer(with handler: @escaping Handler) { lock.withLock { self.handler = handler } }

  var requests: [Request] { lock.withLock { received } }

  /// Stops listening (later connections are refused) and closes every open connection.
  func stop() {
    let connections: Set<Int32> = lock.withLock {
      stopped = true
      return openConnections
    }
    shutdown(listener, Int32(SHUT_RDWR))
    for fd in connections { shutdown(fd, Int32(SHUT_RDWR)) }
  }

  deinit {
    stop()
    close(listener)
  }

  // MARK: - Listening in the namespace

  private static func listen(inNamespaceAt path: String) throws -> (Int32, UInt16) {
    final class Job: @unchecked Sendable {
      var result: Result<(Int32, UInt16), any Error> = .failure(ServerError("not run"))
    }
    let job = Job()
    let done = DispatchSemaphore(value: 0)
    // The thread ends right after, so nothing else ever runs in the namespace by accident.
    let thread = Thread {
      job.result = Result {
        try enterNamespace(path)
        return try bindLoopback()
      }
      done.signal()
    }
    thread.start()
    done.wait()
    return try job.result.get()
  }

  /// Moves the calling thread into the network namespace at `path`. `setns` is looked up at
  /// run time: Glibc's module map does not export it.
  private static func enterNamespace(_ path: String) throws {
    typealias SetNS = @convention(c) (Int32, Int32) -> Int32
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "setns") else {
      throw ServerError("setns not found")
    }
    let setns = unsafeBitCast(symbol, to: SetNS.self)
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw ServerError("open \(path): errno \(errno)") }
    defer { close(fd) }
    guard setns(fd, 0x4000_0000 /* CLONE_NEWNET */) == 0 else {
      throw ServerError("setns \(path): errno \(errno)")
    }
  }

  private static func bindLoopback() throws -> (Int32, UInt16) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw ServerError("socket: errno \(errno)") }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
        bind(fd, pointer, length) == 0 && Glibc.listen(fd, 64) == 0
          && getsockname(fd, pointer, &length) == 0
      }
    }
    guard bound else {
      let code = errno
      close(fd)
      throw ServerError("bind 127.0.0.1 (is lo up in the namespace?): errno \(code)")
    }
    return (fd, UInt16(bigEndian: address.sin_port))
  }

  // MARK: - Serving

  private func acceptLoop() {
    while true {
      let fd = accept(listener, nil, nil)
      if fd < 0 {
        if errno == EINTR { continue }
        return
      }
      let accepted: Bool = lock.withLock {
        guard !stopped else { return false }
        openConnections.insert(fd)
        return true
      }
      guard accepted else {
        close(fd)
        return
      }
      Thread.detachNewThread { [self] in
        serve(fd)
        lock.withLock { _ = openConnections.remove(fd) }
        close(fd)
      }
    }
  }

  private func serve(_ fd: Int32) {
    guard let request = Self.readRequest(fd) else { return }
    let handler = lock.withLock {
      received.append(request)
      return self.handler
    }
    switch handler(request) {
    case .reply(let status, let headers, let body):
      var head = "HTTP/1.1 \(status) \(Self.reason(status))\r\n"
      for (name, value) in headers { head += "\(name): \(value)\r\n" }
      head += "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
      _ = Self.send(fd, Array(head.utf8) + body)
    case .stallBody(let status, let firstBytes):
      let head =
        "HTTP/1.1 \(status) \(Self.reason(status))\r\nContent-Length: \(firstBytes.count + 1000)\r\nConnection: close\r\n\r\n"
      _ = Self.send(fd, Array(head.utf8) + firstBytes)
      // Wait for the client to give up (it closes; recv returns 0) or for stop().
      var byte: UInt8 = 0
      while recv(fd, &byte, 1, 0) > 0 {}
    case .stream(let status, let chunk, let count):
      let head = "HTTP/1.1 \(status) \(Self.reason(status))\r\nConnection: close\r\n\r\n"
      guard Self.send(fd, Array(head.utf8)) else { return }
      for _ in 0..<count where Self.send(fd, chunk) {}
    case .hangUp:
      return
    }
  }

  /// Writes everything; false once the peer is gone. MSG_NOSIGNAL: no SIGPIPE for the tests.
  private static func send(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
    var offset = 0
    while offset < bytes.count {
      let sent = bytes.withUnsafeBytes {
        Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
      }
      if sent < 0 && errno == EINTR { continue }
      guard sent > 0 else { return false }
      offset += sent
    }
    return true
  }

  /// The request line and headers; a request body is read and dropped.
  private static func readRequest(_ fd: Int32) -> Request? {
    var data: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    let separator: [UInt8] = Array("\r\n\r\n".utf8)
    var headEnd: Int?
    while headEnd == nil {
      let count = recv(fd, &buffer, buffer.count, 0)
      guard count > 0 else { return nil }
      data += buffer[..<count]
      headEnd = data.firstRange(of: separator)?.lowerBound
      if data.count > 1 << 20 { return nil }
    }
    let lines = String(decoding: data[..<headEnd!], as: UTF8.self).components(separatedBy: "\r\n")
    let requestLine = lines[0].split(separator: " ")
    guard requestLine.count >= 2 else { return nil }
    var headers: [String: String] = [:]
    for line in lines.dropFirst() {
      guard let colon = line.firstIndex(of: ":") else { continue }
      headers[line[..<colon].lowercased()] = line[line.index(after: colon)...]
        .trimmingCharacters(in: .whitespaces)
    }
    var remaining =
      Int(headers["content-length"] ?? "0").map { $0 - (data.count - headEnd! - 4) } ?? 0
    while remaining > 0 {
      let count = recv(fd, &buffer, min(buffer.count, remaining), 0)
      guard count > 0 else { return nil }
      remaining -= count
    }
    return Request(
      method: String(requestLine[0]), target: String(requestLine[1]), headers: headers)
  }

  private static func reason(_ status: Int) -> String {
    switch status {
    case 200: "OK"
    case 304: "Not Modified"
    case 400: "Bad Request"
    case 403: "Forbidden"
    case 404: "Not Found"
    case 500: "Internal Server Error"
    case 503: "Service Unavailable"
    default: "Status"
    }
  }
}

struct ServerError: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}
