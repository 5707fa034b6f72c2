import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Answers HTTP requests on 127.0.0.1 with one fixed response, until stopped: the fuzz input,
/// served to a real source over a real connection. Blocking sockets, one thread.
final class OneShotServer: @unchecked Sendable {
  let port: UInt16
  private let listener: Int32
  private let response: [UInt8]
  private let finished = DispatchSemaphore(value: 0)

  init(status: Int, body: [UInt8]) {
    let head =
      "HTTP/1.1 \(status) Fuzz\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
    response = Array(head.utf8) + body
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
        bind(fd, pointer, length) == 0 && listen(fd, 16) == 0
          && getsockname(fd, pointer, &length) == 0
      }
    }
    precondition(bound, "cannot listen on 127.0.0.1: errno \(errno)")
    listener = fd
    port = UInt16(bigEndian: address.sin_port)
    Thread.detachNewThread { [self] in
      serve()
      finished.signal()
    }
  }

  private func serve() {
    while true {
      let connection = accept(listener, nil, nil)
      if connection < 0 {
        if errno == EINTR { continue }
        return
      }
      var buffer = [UInt8](repeating: 0, count: 8192)
      var request: [UInt8] = []
      while request.count < 65_536 && request.firstRange(of: Array("\r\n\r\n".utf8)) == nil {
        let count = recv(connection, &buffer, buffer.count, 0)
        if count <= 0 { break }
        request += buffer[..<count]
      }
      var offset = 0
      while offset < response.count {
        let sent = response.withUnsafeBytes {
          send(connection, $0.baseAddress! + offset, response.count - offset, Int32(MSG_NOSIGNAL))
        }
        if sent <= 0 { break }
        offset += sent
      }
      close(connection)
    }
  }

  /// Stops accepting and waits for the serving thread to end.
  func stop() {
    shutdown(listener, Int32(SHUT_RDWR))
    finished.wait()
    close(listener)
  }
}
