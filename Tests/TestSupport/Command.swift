import Foundation

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
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  process.arguments = arguments
  let output = Pipe()
  let errors = Pipe()
  let standardInput = Pipe()
  process.standardOutput = output
  process.standardError = errors
  process.standardInput = standardInput
  try process.run()
  // Read both pipes while the process runs, so a large output cannot block it.
  let outputData = Reader(output.fileHandleForReading)
  let errorData = Reader(errors.fileHandleForReading)
  if let input { standardInput.fileHandleForWriting.write(Data(input.utf8)) }
  try standardInput.fileHandleForWriting.close()
  process.waitUntilExit()
  let result = CommandResult(
    status: process.terminationStatus, output: String(decoding: outputData.wait(), as: UTF8.self),
    errorOutput: String(decoding: errorData.wait(), as: UTF8.self))
  if check && !result.succeeded { throw CommandFailure(arguments: arguments, result: result) }
  return result
}

/// Drains a pipe on a thread of its own.
private final class Reader: @unchecked Sendable {
  private var data = Data()
  private let done = DispatchSemaphore(value: 0)

  init(_ handle: FileHandle) {
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
