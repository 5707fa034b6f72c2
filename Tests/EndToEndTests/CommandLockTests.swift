import Foundation
import TestSupport
import Testing

/// One run at a time: a held lock makes `sync` exit 4, `sync --wait` queue behind it.
@Suite("origin-guard run lock")
struct CommandLockTests {
  @Test(.enabled(if: KernelTests.enabled))
  func syncExitsFourWhileTheLockIsHeldAndWaitQueues() async throws {
    try await withCommandSetup { setup in
      try setup.writeConfig()
      try setup.writeList(["203.0.113.0/24"])
      try setup.originGuard("sync")
      try setup.writeList(["203.0.113.0/24", "198.51.100.0/24"])
      let lock = setup.stateDirectory + "/lock"

      // flock --no-fork: the sleeping process itself holds the lock, so killing it frees it.
      let holder = try CommandProcess(
        ["flock", "--no-fork", lock, "sleep", "30"], logPrefix: setup.directory + "/holder")
      defer { holder.stop() }
      try waitUntil("flock holds the lock") {
        try run(["flock", "--nonblock", lock, "true"], check: false).status == 1
      }

      let locked = try setup.originGuard("sync", exits: 4)
      #expect(locked.errorOutput.contains(lock))
      #expect(try setup.allowed() == ["203.0.113.0/24"])
      let metrics = try String(contentsOfFile: setup.metricsPath, encoding: .utf8)
      #expect(metrics.contains("origin_guard_last_attempt_result{result=\"locked\"} 1"))

      let waiting = try CommandProcess(
        setup.commandLine(["sync", "--wait"]), logPrefix: setup.directory + "/waiting")
      defer { waiting.stop() }
      #expect(
        waiting.waitForExit(timeout: .milliseconds(700)) == nil, "--wait must queue")
      holder.stop()
      let status = waiting.waitForExit(timeout: .seconds(15))
      #expect(status == 0, "sync --wait: \(waiting.errorOutput)")
      #expect(try setup.allowed() == ["203.0.113.0/24", "198.51.100.0/24"])
    }
  }
}
