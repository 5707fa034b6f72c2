import Foundation
import TestSupport

/// Something a traffic test waited for did not happen.
struct TrafficTestError: Error, CustomStringConvertible {
  let description: String
}

/// `TestSupport.run` on a thread of its own: waiting for a child must not hold one of the few
/// cooperative threads that every parallel test shares.
@discardableResult
func runDetached(_ arguments: [String], check: Bool = true) async throws -> CommandResult {
  try await withCheckedThrowingContinuation { continuation in
    Thread.detachNewThread {
      continuation.resume(with: Result { try run(arguments, check: check) })
    }
  }
}

/// A program running while the test goes on (a server, a client holding a connection). Its
/// stdout and stderr go to a log file that the test reads.
final class BackgroundProcess: Sendable {
  private let process: ChildProcess
  let logPath: String

  init(_ arguments: [String], log: String) throws {
    logPath = log
    let handle = try LogFile.handle(writingTo: log)
    defer { try? handle.close() }
    process = try ChildProcess(
      arguments, standardOutput: handle.fileDescriptor, standardError: handle.fileDescriptor)
  }

  var output: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

  /// Waits until the log contains `text`; fails early when the program has exited.
  func waitForOutput(_ text: String, timeout: Duration = .seconds(30)) async throws {
    let deadline = ContinuousClock.now + timeout
    while !output.contains(text) {
      guard process.isRunning else {
        throw TrafficTestError(description: "exited before printing \(text): \(output)")
      }
      guard ContinuousClock.now < deadline else {
        throw TrafficTestError(description: "no \(text) within \(timeout): \(output)")
      }
      try await Task.sleep(for: .milliseconds(50))
    }
  }

  /// Waits until the program has created the file at `path`; fails early when it has exited.
  func waitForFile(_ path: String, timeout: Duration = .seconds(30)) async throws {
    let deadline = ContinuousClock.now + timeout
    while !FileManager.default.fileExists(atPath: path) {
      guard process.isRunning else {
        throw TrafficTestError(description: "exited before creating \(path): \(output)")
      }
      guard ContinuousClock.now < deadline else {
        throw TrafficTestError(description: "no \(path) within \(timeout): \(output)")
      }
      try await Task.sleep(for: .milliseconds(50))
    }
  }

  /// Waits for the program to exit on its own and returns its output.
  func waitForExit(timeout: Duration = .seconds(30)) async throws -> String {
    let deadline = ContinuousClock.now + timeout
    while process.isRunning {
      guard ContinuousClock.now < deadline else {
        throw TrafficTestError(description: "still running after \(timeout): \(output)")
      }
      try await Task.sleep(for: .milliseconds(50))
    }
    return output
  }

  /// Kills the program (it holds no state worth a graceful stop) and reaps it.
  func stop() { process.stop() }
}
