import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// The outcome of a command run to completion.
public struct CommandResult: Sendable {
  public var status: Int32
  public var output: String
  public var errorOutput: String

  public var succeeded: Bool { status == 0 }
}

/// A command that failed when it had to succeed.
public struct CommandFailure: Error, CustomStringConvertible {
  public var arguments: [String]
  public var result: CommandResult

  public var description: String {
    "`\(arguments.joined(separator: " "))` exited with \(result.status): \(result.errorOutput)\(result.output)"
  }
}

/// Runs a program (looked up on PATH) and waits for it. `input` is written to its standard input.
@discardableResult
public func run(_ arguments: [String], input: String? = nil, check: Bool = true) throws
  -> CommandResult
{
  let standardInput = try ClosingPipe()
  let output = try ClosingPipe()
  let errors = try ClosingPipe()
  let child: ChildProcess
  do {
    child = try ChildProcess(
      arguments, standardInput: standardInput.read, standardOutput: output.write,
      standardError: errors.write)
  } catch {
    for fd in [standardInput, output, errors].flatMap({ [$0.read, $0.write] }) { close(fd) }
    throw error
  }
  for fd in [standardInput.read, output.write, errors.write] { close(fd) }
  // Read both pipes while the program runs, so a large output cannot block it.
  let outputData = Reader(output.read)
  let errorData = Reader(errors.read)
  if let input { writeIgnoringAClosedReader(Array(input.utf8), to: standardInput.write) }
  close(standardInput.write)
  let status = child.wait()
  let result = CommandResult(
    status: status, output: String(decoding: outputData.wait(), as: UTF8.self),
    errorOutput: String(decoding: errorData.wait(), as: UTF8.self))
  if check && !result.succeeded { throw CommandFailure(arguments: arguments, result: result) }
  return result
}

/// Writes `bytes` until done or the reader is gone. A program that exits without reading its
/// input must not end the test run with SIGPIPE (the test process does not ignore it): the
/// signal is blocked on this thread while writing, and taken back if the write raised it.
private func writeIgnoringAClosedReader(_ bytes: [UInt8], to fd: Int32) {
  var pipeSignal = sigset_t()
  sigemptyset(&pipeSignal)
  sigaddset(&pipeSignal, SIGPIPE)
  var previous = sigset_t()
  pthread_sigmask(SIG_BLOCK, &pipeSignal, &previous)
  defer {
    var pending = sigset_t()
    sigpending(&pending)
    if sigismember(&pending, SIGPIPE) == 1 {
      var now = timespec()
      sigtimedwait(&pipeSignal, nil, &now)
    }
    pthread_sigmask(SIG_SETMASK, &previous, nil)
  }
  var offset = 0
  while offset < bytes.count {
    let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    if written < 0 && errno == EINTR { continue }
    guard written > 0 else { return }
    offset += written
  }
}

/// Drains a pipe on a thread of its own, then closes it.
private final class Reader: @unchecked Sendable {
  private var data = Data()
  private let done = DispatchSemaphore(value: 0)

  init(_ fd: Int32) {
    let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    Thread.detachNewThread { [self] in
      data = handle.readDataToEndOfFile()
      done.signal()
    }
  }

  func wait() -> Data {
    done.wait()
    return data
  }
}
