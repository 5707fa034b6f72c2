import Foundation
import OriginGuard
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// A program the tests start, waited for by its pid.
///
/// Not `Foundation.Process`: on Linux it learns that a child ended when a socket inherited by
/// the child reaches end of file, then blocks its one manager thread in `waitpid` for that
/// child. A child that closes what it inherited and keeps running (systemd as PID 1 of a test's
/// namespaces, a daemon) held that thread for as long as it ran, and every other `Process` of
/// the test run stopped returning from `waitUntilExit` meanwhile: a wait for a daemon's first
/// status timed out after 90 s in a full run while the status command had long exited.
/// swift-subprocess waits by pid too, but only asynchronously, and the tests poll from
/// synchronous conditions. Here the child also closes everything above 2 before it starts
/// (`ChildSpawn`), so no child holds another's pipes either.
public final class ChildProcess: Sendable {
  public let pid: pid_t
  /// The termination status once reaped: the exit status, or the signal that ended it (as
  /// `Process.terminationStatus` reported it).
  private let status = Mutex<Int32?>(nil)

  /// Starts `arguments` through `/usr/bin/env` (so a name is looked up on PATH and a missing
  /// program exits 127, as under a shell). Descriptors nil are /dev/null; the ones given are
  /// the child's 0, 1 and 2 and stay the caller's to close.
  public init(
    _ arguments: [String], standardInput: Int32? = nil, standardOutput: Int32? = nil,
    standardError: Int32? = nil
  ) throws {
    switch ChildSpawn.spawn(
      ["/usr/bin/env"] + arguments, standardInput: standardInput,
      standardOutput: standardOutput, standardError: standardError, grouping: .ownGroup)
    {
    case .success(let pid):
      self.pid = pid
    case .failure(let error):
      throw CommandFailure(
        arguments: arguments,
        result: CommandResult(status: -1, output: "", errorOutput: "posix_spawn: \(error)"))
    }
  }

  public var isRunning: Bool { reap(blocking: false) == nil }

  /// Waits for the child to end and returns its termination status.
  @discardableResult
  public func wait() -> Int32 {
    // Waits without reaping, outside the lock, so that `isRunning` answers meanwhile.
    var info = siginfo_t()
    while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR {}
    return reap(blocking: true) ?? -1
  }

  /// The status, or nil when it still runs after `timeout`. Polls on this thread: a suspended
  /// test may not get a thread back for seconds while other tests hold the cooperative pool.
  public func wait(timeout: Duration) -> Int32? {
    let deadline = ContinuousClock.now + timeout
    while true {
      if let status = reap(blocking: false) { return status }
      guard ContinuousClock.now < deadline else { return nil }
      Thread.sleep(forTimeInterval: 0.02)
    }
  }

  /// Sends `signal` unless the child has been reaped (its pid could be another's by then).
  public func signal(_ signal: Int32) {
    status.withLock { status in
      if status == nil { kill(pid, signal) }
    }
  }

  /// Sends `signal` if it runs, then waits for it.
  @discardableResult
  public func stop(signal: Int32 = SIGKILL) -> Int32 {
    self.signal(signal)
    return wait()
  }

  private func reap(blocking: Bool) -> Int32? {
    status.withLock { status in
      if let status { return status }
      var raw: Int32 = 0
      var result: pid_t
      repeat {
        result = waitpid(pid, &raw, blocking ? 0 : WNOHANG)
      } while result < 0 && errno == EINTR
      guard result == pid else { return nil }
      // WIFSIGNALED / WTERMSIG / WEXITSTATUS, which Glibc does not import as functions.
      let signal = raw & 0x7f
      status = signal != 0 && signal != 0x7f ? signal : (raw >> 8) & 0xff
      return status
    }
  }

  deinit {
    // A test that forgot to stop it: no zombie, no orphan left behind.
    if reap(blocking: false) == nil {
      kill(pid, SIGKILL)
      _ = reap(blocking: true)
    }
  }
}

/// A pipe whose both ends are close-on-exec: a child gets an end only by `dup2`.
public struct ClosingPipe: Sendable {
  public let read: Int32
  public let write: Int32

  public init() throws {
    var ends: [Int32] = [-1, -1]
    // pipe2 is a GNU extension the Glibc module does not import; no child can take an end
    // meanwhile, as every spawn closes what it did not name.
    guard pipe(&ends) == 0,
      fcntl(ends[0], F_SETFD, FD_CLOEXEC) == 0, fcntl(ends[1], F_SETFD, FD_CLOEXEC) == 0
    else {
      throw CommandFailure(
        arguments: ["pipe2"],
        result: CommandResult(status: -1, output: "", errorOutput: String(cString: strerror(errno)))
      )
    }
    (read, write) = (ends[0], ends[1])
  }
}
