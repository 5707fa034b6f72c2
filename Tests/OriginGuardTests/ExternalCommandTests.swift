import Foundation
import Synchronization
import Testing

@testable import OriginGuard

#if canImport(Glibc)
  import Glibc
#endif

/// `check` and `on_change` commands: run without a shell, their end of output kept, a hanging
/// one killed with what it started.
@Suite("External commands")
struct ExternalCommandTests {
  @Test func statusAndOutputAreReported() {
    let result = ExternalCommand(
      ["sh", "-c", "echo checking; echo broken >&2; exit 3"], timeout: .seconds(10)
    )
    .run()
    #expect(result.outcome == .exited(3))
    #expect(result.output == "checking\nbroken")
    #expect(result.explanation == "exited with status 3: checking\nbroken")
    #expect(ExternalCommand(["true"], timeout: .seconds(10)).run().succeeded)
  }

  @Test func argumentsReachTheProgramAsWrittenWithoutAShell() {
    let result = ExternalCommand(["echo", "$HOME", "a;b", "*"], timeout: .seconds(10)).run()
    #expect(result.output == "$HOME a;b *")
  }

  @Test func aMissingProgramSaysSo() {
    let onPath = ExternalCommand(["origin-guard-no-such-program"], timeout: .seconds(10)).run()
    #expect(onPath.outcome == .notStarted("origin-guard-no-such-program is not on PATH"))
    let absolute = ExternalCommand(["/nonexistent/nginx", "-t"], timeout: .seconds(10)).run()
    #expect(absolute.outcome == .notStarted("/nonexistent/nginx does not exist"))
  }

  @Test func aHangingCommandAndItsChildrenAreKilledAtTheTimeout() throws {
    let directory = FileManager.default.temporaryDirectory.path + "/og-cmd-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let pidFile = directory + "/child"
    let clock = ContinuousClock()
    let start = clock.now
    // A child that outlives its shell and holds the output pipe open.
    let result = ExternalCommand(
      ["sh", "-c", "sleep 300 & echo $! > \(pidFile); echo started; wait"],
      timeout: .milliseconds(500)
    ).run()
    let took = clock.now - start
    #expect(result.outcome == .timedOut)
    #expect(result.output == "started")
    #expect(took >= .milliseconds(500) && took < .seconds(10), "\(took)")
    let pid = try #require(
      pid_t(
        try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(
          in: .whitespacesAndNewlines)))
    var gone = false
    for _ in 0..<100 where !gone {
      let state = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
      gone = state.isEmpty || state.split(separator: ")").last?.split(separator: " ").first == "Z"
      if !gone { usleep(50_000) }
    }
    #expect(gone, "the child of the command is killed too")
  }

  @Test func aBackgroundChildDoesNotHoldUpACommandThatExited() {
    let clock = ContinuousClock()
    let start = clock.now
    let result = ExternalCommand(["sh", "-c", "sleep 5 & echo done"], timeout: .seconds(20)).run()
    #expect(result.succeeded)
    #expect(clock.now - start < .seconds(4))
  }

  /// A command (`nginx -s reload` may leave a master behind) holds none of our descriptors:
  /// not one left without close-on-exec, nor one another thread opens while it starts.
  @Test func aCommandInheritsOnlyItsOutput() throws {
    let stop = Atomic<Bool>(false)
    let opener = Thread {
      while !stop.load(ordering: .relaxed) {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { continue }
        close(ends[0])
        close(ends[1])
      }
    }
    opener.start()
    defer { stop.store(true, ordering: .relaxed) }
    for _ in 0..<50 {
      let result = ExternalCommand(["sh", "-c", "ls /proc/$$/fd"], timeout: .seconds(20)).run()
      #expect(result.succeeded)
      #expect(result.output.split(separator: "\n").sorted() == ["0", "1", "2"], "\(result.output)")
    }
  }
}
