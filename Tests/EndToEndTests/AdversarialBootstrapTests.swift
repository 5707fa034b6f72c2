import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The lock-out safety net attacked: every way a bootstrap's wait can end without a
/// confirmation must give the earlier table back exactly (in place: same handles, same
/// counters) and the earlier saved state, with the built binary in a throwaway namespace.
@Suite("Adversarial: bootstrap rollback", .serialized)
struct AdversarialBootstrapTests {
  static let earlier = ["203.0.113.0/24", "2001:db8:1::/48"]
  static let later = ["203.0.113.0/24", "198.51.100.0/24", "2001:db8:1::/48", "2001:db8:7::/64"]

  @Test(
    .enabled(if: KernelTests.enabled),
    arguments: [(SIGINT, "SIGINT"), (SIGHUP, "SIGHUP"), (SIGTERM, "SIGTERM")])
  func aSignalDuringTheWaitRollsBackInPlace(signal: Int32, name: String) async throws {
    try await withLockedDown { setup, before in
      let bootstrap = try BootstrapProcess(setup, timeout: 60)
      defer { bootstrap.stop() }
      try bootstrap.waitUntilApplied()
      #expect(try setup.allowed() == Set(Self.later))

      kill(bootstrap.pid, signal)
      let status = bootstrap.waitForExit(timeout: .seconds(15))
      #expect(status == 6, "bootstrap: \(bootstrap.errorOutput)")
      #expect(bootstrap.errorOutput.contains("interrupted by \(name)"))
      try before.expectRestored(setup)
    }
  }

  /// SIGTERM as soon as the rollback record exists, i.e. around the apply, before any wait.
  @Test(.enabled(if: KernelTests.enabled))
  func aSignalDuringTheApplyRollsBackOnceApplied() async throws {
    try await withLockedDown { setup, before in
      let bootstrap = try BootstrapProcess(setup, timeout: 60)
      defer { bootstrap.stop() }
      try waitUntil("the rollback record is written", timeout: .seconds(20)) {
        FileManager.default.fileExists(atPath: setup.stateDirectory + "/bootstrap/pending.json")
      }
      kill(bootstrap.pid, SIGTERM)
      #expect(bootstrap.waitForExit(timeout: .seconds(15)) == 6, "\(bootstrap.errorOutput)")
      #expect(bootstrap.errorOutput.contains("interrupted by SIGTERM"))
      try before.expectRestored(setup)
    }
  }

  @Test(.enabled(if: KernelTests.enabled))
  func answeringNoRollsBackAtOnce() async throws {
    try await withLockedDown { setup, before in
      let bootstrap = try BootstrapProcess(setup, timeout: 60)
      defer { bootstrap.stop() }
      try bootstrap.waitUntilApplied()
      let asked = ContinuousClock.now
      bootstrap.type("n\n")
      let status = bootstrap.waitForExit(timeout: .seconds(15))
      #expect(status == 6, "bootstrap: \(bootstrap.errorOutput)")
      #expect(ContinuousClock.now - asked < .seconds(10), "waited for the 60 s timeout")
      #expect(bootstrap.errorOutput.contains("the operator answered no"))
      try before.expectRestored(setup)
    }
  }

  @Test(.enabled(if: KernelTests.enabled))
  func answeringYesKeepsTheLockDown() async throws {
    try await withLockedDown { setup, _ in
      let bootstrap = try BootstrapProcess(setup, timeout: 60)
      defer { bootstrap.stop() }
      try bootstrap.waitUntilApplied()
      bootstrap.type("maybe\ny\n")
      #expect(bootstrap.waitForExit(timeout: .seconds(15)) == 0, "\(bootstrap.errorOutput)")
      #expect(try setup.allowed() == Set(Self.later))
      #expect(try setup.bootstrapFiles().isEmpty)
      try setup.originGuard("plan", "--detailed-exitcode", exits: 0)
    }
  }

  /// Ctrl-Z would stop bootstrap while it holds the lock, past its deadline: it is ignored.
  @Test(.enabled(if: KernelTests.enabled))
  func ctrlZDoesNotStopTheTimeout() async throws {
    try await withLockedDown { setup, before in
      let bootstrap = try BootstrapProcess(setup, timeout: 2)
      defer { bootstrap.stop() }
      try bootstrap.waitUntilApplied()
      kill(bootstrap.pid, SIGTSTP)
      #expect(bootstrap.waitForExit(timeout: .seconds(15)) == 6, "\(bootstrap.errorOutput)")
      #expect(bootstrap.errorOutput.contains("no confirmation came in time"))
      try before.expectRestored(setup)
    }
  }

  /// `confirm` sent at the very deadline: exactly one outcome, and both sides agree on it.
  @Test(.enabled(if: KernelTests.enabled))
  func aConfirmationRacingTheDeadlineHasExactlyOneOutcome() async throws {
    try await withLockedDown { setup, before in
      let bootstrap = try BootstrapProcess(setup, timeout: 2)
      defer { bootstrap.stop() }
      try bootstrap.waitUntilApplied()
      let pending = try parseObject(
        String(contentsOfFile: setup.stateDirectory + "/bootstrap/pending.json", encoding: .utf8))
      let deadline = try #require(
        (pending["deadline"] as? String).flatMap { try? Date($0, strategy: .iso8601) })
      let wait = deadline.timeIntervalSinceNow - 0.02
      if wait > 0 { try await Task.sleep(for: .milliseconds(Int(wait * 1000))) }
      let confirm = try run(setup.commandLine(["confirm"]), check: false)
      let status = bootstrap.waitForExit(timeout: .seconds(15))
      if confirm.status == 0 {
        #expect(status == 0, "confirm won, bootstrap: \(bootstrap.errorOutput)")
        #expect(try setup.allowed() == Set(Self.later))
        #expect(try setup.bootstrapFiles().isEmpty)
      } else {
        #expect(
          status == 6, "confirm lost (\(confirm.errorOutput)), bootstrap: \(bootstrap.errorOutput)")
        try before.expectRestored(setup)
      }
    }
  }

  @Test(.enabled(if: KernelTests.enabled))
  func aKilledBootstrapIsRolledBackByItsWatchdog() async throws {
    try await withLockedDown { setup, before in
      let bootstrap = try BootstrapProcess(setup, timeout: 2)
      defer { bootstrap.stop() }
      try bootstrap.waitUntilApplied()
      kill(bootstrap.pid, SIGKILL)
      _ = bootstrap.waitForExit(timeout: .seconds(5))
      #expect(try setup.allowed() == Set(Self.later))

      try waitUntil("the watchdog rolls back", timeout: .seconds(15)) {
        try setup.bootstrapFiles().isEmpty && setup.allowed() == Set(Self.earlier)
      }
      try before.expectRestored(setup)
    }
  }

  @Test(.enabled(if: KernelTests.enabled))
  func withBootstrapAndWatchdogKilledTheNextRunRollsBack() async throws {
    try await withLockedDown { setup, before in
      let bootstrap = try BootstrapProcess(setup, timeout: 2)
      defer { bootstrap.stop() }
      try bootstrap.waitUntilApplied()
      try bootstrap.killWithWatchdog()
      try await Task.sleep(for: .seconds(3))  // past the deadline, nobody left to roll back
      #expect(try setup.allowed() == Set(Self.later))
      #expect(try setup.bootstrapFiles() == ["pending.json"])

      let status = try setup.originGuard("status")
      #expect(status.errorOutput.contains("rolled back the bootstrap applied at"))
      try before.expectRestored(setup)
    }
  }

  /// While a bootstrap waits, with neither it nor its watchdog left, a sync must neither
  /// apply nor destroy the rollback record; a confirmation still counts.
  @Test(.enabled(if: KernelTests.enabled))
  func aSyncDuringTheWindowIsRefusedAndConfirmStillWorks() async throws {
    try await withLockedDown { setup, _ in
      let bootstrap = try BootstrapProcess(setup, timeout: 60)
      defer { bootstrap.stop() }
      try bootstrap.waitUntilApplied()
      try bootstrap.killWithWatchdog()

      let sync = try setup.originGuard("sync", exits: 4)
      #expect(sync.errorOutput.contains("a bootstrap is waiting for its confirmation"))
      #expect(try setup.bootstrapFiles() == ["pending.json"])
      try setup.originGuard("teardown", exits: 4)
      #expect(try setup.allowed() == Set(Self.later))

      let confirm = try setup.originGuard("confirm")
      #expect(confirm.output.contains("Confirmed the bootstrap applied at"))
      try setup.originGuard("sync")
      #expect(try setup.allowed() == Set(Self.later))
    }
  }

  @Test(.enabled(if: KernelTests.enabled))
  func confirmWithNothingWaitingSaysSoAndConfirmsNoLaterBootstrap() async throws {
    try await withLockedDown { setup, before in
      let confirm = try setup.originGuard("confirm", exits: 1)
      #expect(confirm.errorOutput.contains("no bootstrap is waiting for a confirmation"))
      #expect(!confirm.output.contains("Confirmed"))
      #expect(!FileManager.default.fileExists(atPath: setup.stateDirectory + "/confirm"))
      #expect(try setup.bootstrapFiles().isEmpty)

      // The next bootstrap is not confirmed by it.
      let result = try setup.originGuard("bootstrap", "--confirm-timeout", "2", exits: 6)
      #expect(result.errorOutput.contains("no confirmation came in time"))
      try before.expectRestored(setup)
    }
  }

  /// A table with the earlier list, synced; then the later list is written for the bootstrap.
  private func withLockedDown(_ body: (CommandSetup, Snapshot) async throws -> Void) async throws {
    try await withCommandSetup { setup in
      try setup.writeConfig()
      try setup.writeList(Self.earlier)
      try setup.originGuard("sync")
      let before = try Snapshot(setup)
      try setup.writeList(Self.later)
      try await body(setup, before)
    }
  }
}

/// The ruleset with its handles and counters, and the saved state, before the bootstrap.
struct Snapshot {
  let ruleset: NSArray
  let header: Data?

  init(_ setup: CommandSetup) throws {
    ruleset = NSArray(array: try setup.namespace.nftJSON("list", "ruleset"))
    header = FileManager.default.contents(atPath: setup.stateDirectory + "/state.json")
  }

  /// The table is back in place (same table, set, chain and rule handles: nothing was
  /// re-created; same counters), the state is back, the run record says rolled back, and no
  /// rollback is left pending.
  func expectRestored(_ setup: CommandSetup) throws {
    let now = NSArray(array: try setup.namespace.nftJSON("list", "ruleset"))
    let text = (try? setup.ruleset()) ?? ""
    #expect(now == ruleset, "ruleset after the rollback:\n\(text)")
    #expect(try setup.allowed() == Set(AdversarialBootstrapTests.earlier))
    #expect(FileManager.default.contents(atPath: setup.stateDirectory + "/state.json") == header)
    let record = try parseObject(
      String(contentsOfFile: setup.stateDirectory + "/last-run.json", encoding: .utf8))
    #expect(record["result"] as? String == "rolled_back")
    #expect(try setup.bootstrapFiles().isEmpty)
    try setup.originGuard("plan", "--detailed-exitcode", "--from-cache", exits: 0)
  }
}

extension CommandSetup {
  /// The files in `state_dir/bootstrap/`, sorted.
  func bootstrapFiles() throws -> [String] {
    let directory = stateDirectory + "/bootstrap"
    guard FileManager.default.fileExists(atPath: directory) else { return [] }
    return try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
  }
}

/// `origin-guard bootstrap` in the background with stdin on a pipe the test types into, and
/// stdout and stderr in files.
final class BootstrapProcess: Sendable {
  private let process: ChildProcess
  private let input: FileHandle
  let errorPath: String

  init(_ setup: CommandSetup, timeout: Int) throws {
    errorPath = setup.directory + "/bootstrap.err"
    let outputPath = setup.directory + "/bootstrap.out"
    var files: [Int32] = []
    defer { for fd in files { close(fd) } }
    for path in [outputPath, errorPath] {
      let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o600)
      guard fd >= 0 else { throw SetupError("cannot create \(path)") }
      files.append(fd)
    }
    let pipe = try ClosingPipe()
    defer { close(pipe.read) }
    input = FileHandle(fileDescriptor: pipe.write, closeOnDealloc: true)
    process = try ChildProcess(
      setup.commandLine(["bootstrap", "--confirm-timeout", String(timeout)]),
      standardInput: pipe.read, standardOutput: files[0], standardError: files[1])
  }

  /// `ip netns exec` and `env` exec in place: this is origin-guard's pid.
  var pid: pid_t { process.pid }
  var errorOutput: String { (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "" }

  func waitUntilApplied() throws {
    try waitUntil("bootstrap applies its plan") {
      guard process.isRunning else { throw SetupError("bootstrap exited early:\n\(errorOutput)") }
      return errorOutput.contains("Applied. Check that you can still reach this host")
    }
  }

  /// The watchdog's pid as bootstrap printed it, checked to be our watchdog before a test
  /// signals it.
  func watchdogPID() throws -> pid_t {
    let marker = "Rollback watchdog started (pid "
    guard let start = errorOutput.range(of: marker),
      let pid = pid_t(errorOutput[start.upperBound...].prefix { $0.isNumber })
    else { throw SetupError("no watchdog pid in:\n\(errorOutput)") }
    let commandLine = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? ""
    guard commandLine.contains("bootstrap-watchdog") else {
      throw SetupError("pid \(pid) is not the watchdog: \(commandLine)")
    }
    return pid
  }

  /// `kill -9` of the watchdog and of bootstrap: nobody left to roll back but a later run.
  func killWithWatchdog() throws {
    kill(try watchdogPID(), SIGKILL)
    kill(pid, SIGKILL)
    _ = waitForExit(timeout: .seconds(5))
  }

  func type(_ text: String) {
    try? input.write(contentsOf: Data(text.utf8))
  }

  func waitForExit(timeout: Duration) -> Int32? {
    process.wait(timeout: timeout)
  }

  func stop() { process.stop() }
}
