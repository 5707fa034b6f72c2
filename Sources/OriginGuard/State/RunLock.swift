import AddressSources

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
    let fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0o600)
    guard fd >= 0 else {
      if errno == ELOOP {
        throw .unsafe(
          .untrusted(
            path: path, problem: "it is a symbolic link",
            fix: "origin-guard never writes links: remove it (`rm \(path)`)."))
      }
      throw .io(operation: "open lock file \(path)", errno: errno)
    }
    // A lock file someone else owns is one they can hold forever.
    var status = stat()
    let problem: String? =
      if fstat(fd, &status) != 0 {
        nil
      } else if status.st_mode & S_IFMT != S_IFREG {
        "it is not a regular file"
      } else {
        FileTrust.ownershipProblem(status).map { "it is " + $0 }
      }
    if let problem {
      close(fd)
      throw .unsafe(
        .untrusted(
          path: path, problem: problem,
          fix: "Remove it (`rm \(path)`); origin-guard creates it."))
    }
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
