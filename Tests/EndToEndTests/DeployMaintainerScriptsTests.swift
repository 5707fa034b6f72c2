import Foundation
import TestSupport
import Testing

/// Runs the package's maintainer scripts as dpkg would, in a private mount namespace where
/// /run says systemd is running, /var/lib is a scratch tmpfs, /etc an overlay whose writes go
/// to scratch, and `systemctl` a stub that records its arguments. The host is not touched.
@Suite("Debian maintainer scripts")
struct DeployMaintainerScriptsTests {
  struct Outcome {
    var systemctlCalls: [String]
    var stateDirectoryMode: String
    var stateDirectoryExists: Bool
    var output: String
    var errorOutput: String
  }

  func runScript(_ script: String, _ arguments: [String]) async throws -> Outcome {
    try await runScript(at: Deploy.path("deploy/debian/\(script)"), arguments)
  }

  /// Runs the shell script at `path` (a Debian maintainer script or an RPM scriptlet).
  func runScript(at path: String, _ arguments: [String]) async throws -> Outcome {
    try await Deploy.withScratchDirectory { scratch in
      try FileManager.default.createDirectory(
        atPath: "\(scratch)/bin", withIntermediateDirectories: true)
      try Deploy.write(
        "#!/bin/sh\necho \"$*\" >> \(scratch)/systemctl.log\n", to: "\(scratch)/bin/systemctl",
        mode: 0o755)
      let harness = """
        set -eu
        mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/system
        mount -t tmpfs tmpfs /var/lib && mkdir -m 0755 /var/lib/origin-guard
        mkdir \(scratch)/overlay && mount -t tmpfs tmpfs \(scratch)/overlay
        mkdir \(scratch)/overlay/upper \(scratch)/overlay/work
        mount -t overlay overlay -o lowerdir=/etc,upperdir=\(scratch)/overlay/upper,workdir=\(scratch)/overlay/work /etc
        mkdir -p /etc/origin-guard
        touch \(scratch)/systemctl.log
        PATH=\(scratch)/bin:$PATH sh "$@"
        if [ -d /var/lib/origin-guard ]; then stat -c %a /var/lib/origin-guard > \(scratch)/mode; fi
        """
      let result = try run(
        [
          "unshare", "--mount", "--propagation", "private", "bash", "-c", harness, "harness", path,
        ] + arguments)
      let mode = try? String(contentsOfFile: "\(scratch)/mode", encoding: .utf8)
      return Outcome(
        systemctlCalls: try String(contentsOfFile: "\(scratch)/systemctl.log", encoding: .utf8)
          .split(separator: "\n").map(String.init),
        stateDirectoryMode: mode?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "",
        stateDirectoryExists: mode != nil, output: result.output, errorOutput: result.errorOutput)
    }
  }

  @Test func firstInstallEnablesNothingAndSaysWhatToDo() async throws {
    let outcome = try await runScript("postinst", ["configure", ""])
    // The operator bootstraps first; a timer the package enabled could lock them out.
    #expect(outcome.systemctlCalls == ["daemon-reload"])
    #expect(outcome.stateDirectoryMode == "700")
    #expect(outcome.output.contains("origin-guard bootstrap"))
    #expect(outcome.output.contains("systemctl enable --now origin-guard.timer"))
  }

  @Test func upgradeRestartsOnlyARunningDaemon() async throws {
    let outcome = try await runScript("postinst", ["configure", "0.1.0"])
    #expect(outcome.systemctlCalls == ["daemon-reload", "try-restart origin-guard-daemon.service"])
    #expect(outcome.output.isEmpty)
  }

  @Test func removalStopsAndDisablesTheUnitsButLeavesTheTable() async throws {
    let outcome = try await runScript("prerm", ["remove"])
    #expect(
      outcome.systemctlCalls == [
        "stop origin-guard.timer origin-guard-daemon.service origin-guard.service",
        "disable origin-guard.timer origin-guard-daemon.service origin-guard-restore.service",
      ])
    #expect(outcome.errorOutput.contains("origin-guard teardown"))
    #expect(outcome.stateDirectoryExists)
  }

  @Test func upgradeKeepsTheUnitsRunning() async throws {
    let outcome = try await runScript("prerm", ["upgrade", "0.1.1"])
    #expect(outcome.systemctlCalls.isEmpty)
  }

  @Test func purgeForgetsTheState() async throws {
    let outcome = try await runScript("postrm", ["purge"])
    #expect(!outcome.stateDirectoryExists)
    #expect(outcome.systemctlCalls == ["daemon-reload"])
  }
}
