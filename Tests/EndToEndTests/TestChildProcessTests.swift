import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// How the tests start programs (`run`, and the background processes built on `ChildProcess`):
/// one program can never hold up the wait for another, whatever it does with what it inherited.
@Suite("Test hygiene: child processes")
struct TestChildProcessTests {
  /// With `Foundation.Process`, a child that closed its inherited descriptors and kept running
  /// (systemd as PID 1, a daemon) held up every other `waitUntilExit` of the test run until it
  /// ended: 5.5 s of a 6 s sleep for `/bin/true` in a probe. A daemon's status check waited the
  /// whole 90 s of its deadline that way.
  @Test func aChildThatClosesWhatItInheritedHoldsUpNoOtherWait() throws {
    let sleeper = try ChildProcess([
      "python3", "-c", "import os, time; os.closerange(3, 65536); time.sleep(60)",
    ])
    defer { sleeper.stop() }
    Thread.sleep(forTimeInterval: 0.3)
    let clock = ContinuousClock()
    let start = clock.now
    for _ in 0..<3 { try run(["true"]) }
    #expect(clock.now - start < .seconds(20), "three runs of true took \(clock.now - start)")
    #expect(sleeper.isRunning)
  }

  /// Not even a descriptor the test process left without close-on-exec reaches a child, so a
  /// long-lived child never keeps another command's pipe open.
  @Test func aChildInheritsOnlyItsStandardDescriptors() throws {
    var ends: [Int32] = [-1, -1]
    #expect(pipe(&ends) == 0)
    defer { for fd in ends { close(fd) } }
    let listed = try run(["sh", "-c", "ls /proc/$$/fd"]).output
    #expect(listed.split(separator: "\n").sorted() == ["0", "1", "2"], "\(listed)")
  }

  @Test func theStatusIsTheExitCodeOrTheSignal() throws {
    #expect(try run(["sh", "-c", "exit 3"], check: false).status == 3)
    #expect(try run(["origin-guard-no-such-program"], check: false).status == 127)
    let sleeper = try ChildProcess(["sleep", "60"])
    #expect(sleeper.isRunning)
    #expect(sleeper.wait(timeout: .milliseconds(100)) == nil)
    #expect(sleeper.stop(signal: SIGTERM) == SIGTERM)
    #expect(!sleeper.isRunning)
    // Reaped: a second stop neither signals another process that got the pid nor blocks.
    #expect(sleeper.stop() == SIGTERM)
  }

  @Test func inputOutputAndErrorsAreSeparate() throws {
    let result = try run(["sh", "-c", "cat; echo oops >&2"], input: "hello\n")
    #expect(result.output == "hello\n")
    #expect(result.errorOutput == "oops\n")
    // A program that reads none of a large input and exits: no SIGPIPE for the test process.
    let ignoring = try run(
      ["true"], input: String(repeating: "x", count: 1 << 20), check: false)
    #expect(ignoring.status == 0)
  }
}
