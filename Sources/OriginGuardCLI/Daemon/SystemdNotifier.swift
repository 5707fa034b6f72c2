import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// systemd's readiness protocol (`Type=notify`): a datagram to `$NOTIFY_SOCKET`. Does nothing
/// when not run by systemd.
struct SystemdNotifier {
  let socketPath: String?

  init(environment: [String: String] = ProcessInfo.processInfo.environment) {
    socketPath = environment["NOTIFY_SOCKET"]
  }

  func notify(_ state: String) {
    guard var path = socketPath, !path.isEmpty else { return }
    // A leading '@' names a socket in the abstract namespace: a NUL byte on the wire.
    if path.hasPrefix("@") { path = "\0" + path.dropFirst() }
    let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { return }
    defer { close(fd) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return }
    withUnsafeMutableBytes(of: &address.sun_path) { buffer in
      buffer.copyBytes(from: bytes)
    }
    let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
    let message = Array(state.utf8)
    _ = withUnsafePointer(to: &address) { pointer in
      pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
        sendto(fd, message, message.count, 0, socketAddress, length)
      }
    }
  }
}
