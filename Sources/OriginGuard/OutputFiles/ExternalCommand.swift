import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A `check` or `on_change` command: run directly (no shell), in a process group of its own,
/// stdin on /dev/null, stdout and stderr captured for the log, no descriptor of ours
/// inherited. At its timeout the whole group gets SIGTERM, and SIGKILL a moment later, so a
/// hanging command (or what it started) cannot stall the sync.
public struct ExternalCommand: Sendable, Hashable, CustomStringConvertible {
  public let arguments: [String]
  public let timeout: Duration

  public init(_ arguments: [String], timeout: Duration) {
    self.arguments = arguments
    self.timeout = timeout
  }

  /// How long a group that got SIGTERM at the timeout has before SIGKILL.
  static let killGrace: Duration = .seconds(2)
  /// The tail of the output kept for messages.
  static let outputLimit = 2048

  public var description: String { "`" + arguments.joined(separator: " ") + "`" }

  public enum Outcome: Sendable, Equatable {
    case succeeded
    case exited(Int32)
    case signalled(Int32)
    case timedOut
    case notStarted(String)
  }

  public struct Result: Sendable, Equatable {
    public var outcome: Outcome
    /// The last `outputLimit` bytes of stdout and stderr, trimmed.
    public var output: String

    public var succeeded: Bool { outcome == .succeeded }

    /// `exited with status 1: nginx: [emerg] …`.
    public var explanation: String {
      let what: String
      switch outcome {
      case .succeeded: what = "succeeded"
      case .exited(let status): what = "exited with status \(status)"
      case .signalled(let signal): what = "was killed by signal \(signal)"
      case .timedOut: what = "did not finish in time and was killed"
      case .notStarted(let reason): what = "could not be started: \(reason)"
      }
      return output.isEmpty ? what : "\(what): \(output)"
    }
  }

  public func run() -> Result {
    var pipeEnds: [Int32] = [-1, -1]
    guard pipe(&pipeEnds) == 0 else {
      return Result(outcome: .notStarted("pipe: \(String(cString: strerror(errno)))"), output: "")
    }
    let (readEnd, writeEnd) = (pipeEnds[0], pipeEnds[1])
    // Neither end may stay open in the command (the write end is dup'ed to 1 and 2).
    _ = fcntl(readEnd, F_SETFD, FD_CLOEXEC)
    _ = fcntl(writeEnd, F_SETFD, FD_CLOEXEC)
    defer { close(readEnd) }

    // A new group led by the child, so the timeout can end everything it started.
    let spawned = ChildSpawn.spawn(
      arguments, standardOutput: writeEnd, standardError: writeEnd, grouping: .ownGroup)
    close(writeEnd)
    let pid: pid_t
    switch spawned {
    case .success(let child):
      pid = child
    case .failure(let error):
      let reason =
        error.code == ENOENT
        ? (arguments[0].contains("/")
          ? "\(arguments[0]) does not exist" : "\(arguments[0]) is not on PATH")
        : "\(arguments[0]): \(error)"
      return Result(outcome: .notStarted(reason), output: "")
    }
    _ = fcntl(readEnd, F_SETFL, fcntl(readEnd, F_GETFL) | O_NONBLOCK)
    var output = OutputTail(limit: Self.outputLimit)
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while true {
      output.drain(readEnd, waitingUpTo: .milliseconds(20))
      if let status = Self.reap(pid) {
        // What it printed just before exiting; not waiting for EOF, which a child it left
        // running in the background could hold off for ever.
        output.drain(readEnd, waitingUpTo: .zero)
        return Result(outcome: Self.outcome(status), output: output.text)
      }
      if clock.now >= deadline { break }
    }
    kill(-pid, SIGTERM)
    let killDeadline = clock.now + Self.killGrace
    while clock.now < killDeadline {
      output.drain(readEnd, waitingUpTo: .milliseconds(20))
      if Self.reap(pid) != nil {
        // The leader is gone; whatever else of its group ignored SIGTERM is not.
        kill(-pid, SIGKILL)
        return Result(outcome: .timedOut, output: output.text)
      }
    }
    kill(-pid, SIGKILL)
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return Result(outcome: .timedOut, output: output.text)
  }

  /// The exit status once `pid` has exited, nil while it runs.
  private static func reap(_ pid: pid_t) -> Int32? {
    var status: Int32 = 0
    let result = waitpid(pid, &status, WNOHANG)
    if result == pid { return status }
    // ECHILD: someone else reaped it; report it as gone.
    if result < 0 && errno != EINTR { return 0 }
    return nil
  }

  private static func outcome(_ status: Int32) -> Outcome {
    // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import.
    let signal = status & 0x7f
    if signal == 0 {
      let code = (status >> 8) & 0xff
      return code == 0 ? .succeeded : .exited(code)
    }
    return .signalled(signal)
  }
}

/// The last bytes a command printed.
private struct OutputTail {
  let limit: Int
  private var bytes: [UInt8] = []

  init(limit: Int) {
    self.limit = limit
  }

  var text: String {
    String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
  }

  private var closed = false

  /// Reads what is there, waiting up to `timeout` for the first byte (or just waiting, once
  /// every writer has closed the pipe).
  mutating func drain(_ fd: Int32, waitingUpTo timeout: Duration) {
    let milliseconds =
      Int32(timeout.components.seconds * 1000)
      + Int32(timeout.components.attoseconds / 1_000_000_000_000_000)
    if closed {
      usleep(UInt32(milliseconds) * 1000)
      return
    }
    var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    guard poll(&poller, 1, milliseconds) > 0 else { return }
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
      let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      if count == 0 { closed = true }
      if count <= 0 { return }
      bytes.append(contentsOf: buffer[..<count])
      if bytes.count > limit { bytes.removeFirst(bytes.count - limit) }
    }
  }
}
