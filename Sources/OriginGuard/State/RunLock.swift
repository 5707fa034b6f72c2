#if canImport(Glibc)
  import Glibc
#endif

/// One run at a time: an exclusive `flock` on a file in the state directory, released when the
/// process exits however it exits (the kernel drops the lock with the descriptor).
public final class RunLock: Sendable {
  private let fd: Int32
  public let path: String

  /// Takes the lock; with `wait`, queues behind the current holder, otherwise fails at once
  /// with `StateError.locked`.
  public init(path: String, wait: Bool) throws(StateError) {
    let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
    guard fd >= 0 else { throw .io(operation: "open lock file \(path)", errno: errno) }
    while flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0 {
      let code = errno
      if code == EINTR { continue }
      close(fd)
      if code == EWOULDBLOCK { throw .locked(path: path) }
      throw .io(operation: "lock \(path)", errno: code)
    }
    self.fd = fd
    self.path = path
  }

  deinit {
    flock(fd, LOCK_UN)
    close(fd)
  }
}
