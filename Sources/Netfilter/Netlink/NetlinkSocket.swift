import CNetfilter
import Glibc

/// A NETLINK_NETFILTER socket: sends requests and batches, receives replies.
///
/// Not thread-safe; `NetlinkBackend` serialises access. A socket stays in the network namespace
/// it was created in, whichever thread uses it later.
final class NetlinkSocket {
  private let socket: OpaquePointer
  let portID: UInt32
  private var sendBufferSize = 0
  /// The sequence number of the next message; replies carry it back.
  private(set) var nextSequence: UInt32

  /// Opens and binds a socket in the calling thread's network namespace. Close-on-exec like
  /// every descriptor of ours: a program an output's `on_change` starts must not hold it.
  init() throws(NetfilterError) {
    guard let socket = mnl_socket_open2(NETLINK_NETFILTER, Int32(SOCK_CLOEXEC.rawValue)) else {
      throw Self.openError(errno)
    }
    guard mnl_socket_bind(socket, 0, pid_t(MNL_SOCKET_AUTOPID)) == 0 else {
      let code = errno
      mnl_socket_close(socket)
      throw Self.openError(code)
    }
    self.socket = socket
    portID = mnl_socket_get_portid(socket)
    // Unique enough across restarts that stale replies of an earlier process never match.
    nextSequence = UInt32(truncatingIfNeeded: time(nil))
    configure()
  }

  deinit { mnl_socket_close(socket) }

  var fileDescriptor: Int32 { mnl_socket_get_fd(socket) }

  /// Errors name the failing attribute (NETLINK_EXT_ACK) and do not echo the request
  /// (NETLINK_CAP_ACK). Errors are always queued, whatever the flags: the receive buffer is
  /// sized for a batch where many messages fail. Best effort: without root the kernel refuses
  /// the *FORCE options and the first request reports the permission problem.
  private func configure() {
    setOption(SOL_NETLINK, NETLINK_EXT_ACK, 1)
    setOption(SOL_NETLINK, NETLINK_CAP_ACK, 1)
    setOption(SOL_SOCKET, SO_RCVBUFFORCE, 16 << 20)
  }

  private func setOption(_ level: Int32, _ name: Int32, _ value: Int32) {
    var value = value
    _ = setsockopt(fileDescriptor, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
  }

  /// Marks `count` sequence numbers as used; each request and batch message gets its own.
  func skipSequences(_ count: Int) {
    nextSequence &+= UInt32(count)
  }

  /// Sends the bytes in one `sendmsg`: for a batch, the kernel runs the whole batch inside this
  /// call, so every reply is queued when it returns. A batch travels as one buffer and fails
  /// with EMSGSIZE if larger than the send buffer, so the buffer is raised to fit.
  func send(_ bytes: UnsafeRawBufferPointer) throws(NetfilterError) {
    if bytes.count + 4096 > sendBufferSize {
      sendBufferSize = max(bytes.count + 4096, 1 << 20)
      setOption(SOL_SOCKET, SO_SNDBUFFORCE, Int32(clamping: sendBufferSize))
    }
    let sent = Glibc.send(fileDescriptor, bytes.baseAddress, bytes.count, 0)
    guard sent == bytes.count else {
      let code = sent < 0 ? errno : EMSGSIZE
      throw code == EPERM
        ? .permissionDenied(operation: "send to nf_tables")
        : code == EMSGSIZE
          ? .messageTooLarge(operation: "send \(bytes.count) bytes to nf_tables")
          : .kernel(operation: "send to nf_tables", errno: code)
    }
  }

  /// Receives one datagram. Returns nil when nothing is queued and `wait` is false.
  func receive(into buffer: UnsafeMutableRawBufferPointer, wait: Bool) throws(NetfilterError)
    -> Int?
  {
    while true {
      let received = recv(
        fileDescriptor, buffer.baseAddress, buffer.count, wait ? 0 : Int32(MSG_DONTWAIT))
      if received >= 0 { return received }
      switch errno {
      case EINTR: continue
      case EAGAIN: return nil
      case ENOBUFS: throw .outcomeUnknown(detail: "netlink receive buffer overflowed (ENOBUFS)")
      case let code: throw .kernel(operation: "receive from nf_tables", errno: code)
      }
    }
  }

  private static func openError(_ code: Int32) -> NetfilterError {
    switch code {
    case EPERM, EACCES: .permissionDenied(operation: "open a netlink socket")
    case EPROTONOSUPPORT, EAFNOSUPPORT:
      .nfTablesUnavailable(detail: "no NETLINK_NETFILTER: \(errnoName(code))")
    default: .kernel(operation: "open a netlink socket", errno: code)
    }
  }
}
