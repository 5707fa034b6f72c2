import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The units under a real systemd: a Debian 12 root (scripts/debian-root bookworm-systemd)
/// booted with systemd as PID 1 of its own PID, mount, UTS and network namespaces, the .deb
/// installed with its dpkg. The cached root is used through an overlay; /dev is a tmpfs with
/// binds of a few device nodes, never the host's /dev, so nothing systemd creates there
/// reaches the host. `/dev/ptmx` is a link into the root's own devpts, as in a container:
/// PrivateDevices= refuses to start a unit when it is missing. All mounts live in the namespace
/// and end with it.
/// One boot of the root: systemd's PID as the host sees it.
final class SystemdBoot {
  let process: BackgroundProcess
  let pid: String

  init(root: String, scratch: String) async throws {
    let pidFile = "\(scratch)/unshare.pid"
    try? FileManager.default.removeItem(atPath: pidFile)
    let inside = """
      set -e
      root=$1 scratch=$2 merged=$2/merged
      mount -t overlay overlay -o "lowerdir=$root,upperdir=$scratch/upper,workdir=$scratch/work" "$merged"
      mount -t proc proc "$merged/proc"
      mount -t tmpfs -o mode=0755,nosuid tmpfs "$merged/dev"
      for node in null zero full random urandom tty; do
        touch "$merged/dev/$node" && mount --bind "/dev/$node" "$merged/dev/$node"
      done
      mkdir "$merged/dev/pts" "$merged/dev/shm"
      ln -s /proc/self/fd "$merged/dev/fd"
      ln -s pts/ptmx "$merged/dev/ptmx"
      exec chroot "$merged" /lib/systemd/systemd --system
      """
    let outside = """
      echo $$ >"$3/unshare.pid"
      exec unshare --pid --fork --mount --uts --net --propagation private bash -c "$1" inside "$2" "$3"
      """
    process = try BackgroundProcess(
      ["bash", "-c", outside, "outside", inside, root, scratch], log: "\(scratch)/boot.log")
    try await process.waitForFile(pidFile)
    let unshare = try String(contentsOfFile: pidFile, encoding: .utf8)
      .trimmingCharacters(in: .whitespacesAndNewlines)
    var systemd = ""
    try waitUntil("systemd starts", timeout: .seconds(30)) {
      systemd = (try TestSupport.run(["pgrep", "-P", unshare], check: false)).output
        .trimmingCharacters(in: .whitespacesAndNewlines)
      return !systemd.isEmpty
    }
    pid = systemd
    // `degraded`: systemd-logind cannot run in these namespaces; nothing else may fail.
    try waitUntil("the system is up", timeout: .seconds(90)) {
      let state = try self.run(["systemctl", "is-system-running"], check: false).output
      return state.hasPrefix("running") || state.hasPrefix("degraded")
    }
  }

  /// A command inside the booted system (its namespaces and root).
  @discardableResult
  func run(_ arguments: [String], input: String? = nil, check: Bool = true) throws
    -> CommandResult
  {
    try TestSupport.run(
      ["nsenter", "-t", pid, "-m", "-p", "-n", "-u", "-r", "-w"] + arguments, input: input,
      check: check)
  }

  func shell(_ script: String) throws { try run(["sh", "-c", script]) }

  /// `waitUntil`, with the unit's journal in the error when it times out.
  func waitFor(_ what: String, unit: String, _ condition: () throws -> Bool) throws {
    do {
      try waitUntil(what, timeout: .seconds(40), condition)
    } catch {
      let journal = try run(["journalctl", "-u", unit, "--no-pager"], check: false).output
      throw SetupError("\(error)\n\(journal)")
    }
  }

  func allowed() throws -> [String] {
    try DeployDebian11Tests.elements(
      run(["nft", "-j", "list", "set", "inet", "origin_guard", "allowed_v4"]).output)
  }

  func show(_ unit: String, _ property: String) throws -> String {
    try run(["systemctl", "show", unit, "-p", property, "--value"]).output
      .trimmingCharacters(in: .whitespacesAndNewlines)
  }

  /// Power off: SIGKILL to PID 1 ends every process of the namespace, and with them the
  /// network namespace and its ruleset, as a reboot would.
  func kill() {
    if let pid = Int32(pid) { _ = Glibc.kill(pid, SIGKILL) }
    process.stop()
  }
}

@Suite("systemd units under a real systemd", .enabled(if: KernelTests.enabled))
struct DeploySystemdBootTests {
  static func writeList(_ boot: SystemdBoot, _ prefixes: [String]) throws {
    try boot.run(
      ["sh", "-c", "cat >/etc/origin-guard/list.txt"],
      input: prefixes.joined(separator: "\n") + "\n")
  }

  @Test func theUnitsSyncTimeRestoreAtBootAndReload() async throws {
    try ReleasePackages.require()
    let root = try run([Deploy.path("scripts/debian-root"), "bookworm-systemd"]).output
      .trimmingCharacters(in: .whitespacesAndNewlines)
    try await Deploy.withScratchDirectory(under: "/var/tmp") { scratch in
      for directory in ["upper", "work", "merged"] {
        try FileManager.default.createDirectory(
          atPath: "\(scratch)/\(directory)", withIntermediateDirectories: false)
      }
      var boot = try await SystemdBoot(root: root, scratch: scratch)
      defer { boot.kill() }

      // Installed with the root's own dpkg, which runs the maintainer scripts under systemd.
      try FileManager.default.copyItem(
        atPath: ReleasePackages.deb, toPath: "/proc/\(boot.pid)/root/tmp/origin-guard.deb")
      let install = try boot.run(["dpkg", "-i", "/tmp/origin-guard.deb"], check: false)
      #expect(install.status == 0, "\(install.output)\(install.errorOutput)")
      #expect(try boot.show("origin-guard.timer", "UnitFileState") == "disabled")
      try boot.run(
        ["sh", "-c", "umask 077 && cat >/etc/origin-guard/config.yaml"],
        input: """
          sources:
            - name: list
              type: file
              path: /etc/origin-guard/list.txt

          """)
      try Self.writeList(boot, ["192.0.2.0/24"])
      try boot.run(["origin-guard", "bootstrap", "--yes"])

      // origin-guard.service, as shipped (syscall filter, address families, capabilities).
      try Self.writeList(boot, ["192.0.2.0/24", "198.51.100.0/24"])
      let start = try boot.run(["systemctl", "start", "origin-guard.service"], check: false)
      let journal = try boot.run(
        ["journalctl", "-u", "origin-guard.service", "--no-pager"], check: false
      ).output
      #expect(start.status == 0, "\(start.errorOutput)\n\(journal)")
      #expect(try boot.show("origin-guard.service", "Result") == "success")
      #expect(try boot.allowed() == ["192.0.2.0/24", "198.51.100.0/24"])
      #expect(try boot.show("origin-guard.service", "CapabilityBoundingSet") == "cap_net_admin")
      #expect(try !boot.show("origin-guard.service", "SystemCallFilter").isEmpty)

      // The timer fires (every 3 s by a drop-in instead of every 5 minutes).
      try boot.run(["mkdir", "-p", "/etc/systemd/system/origin-guard.timer.d"])
      try boot.run(
        ["sh", "-c", "cat >/etc/systemd/system/origin-guard.timer.d/test.conf"],
        input: "[Timer]\nOnCalendar=\nOnCalendar=*:*:0/3\nRandomizedDelaySec=0\nAccuracySec=1s\n")
      try boot.run(["systemctl", "daemon-reload"])
      // Lists that only grow: a shrink would (rightly) be refused by the guard.
      let timerList = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"]
      try Self.writeList(boot, timerList)
      try boot.run(["systemctl", "enable", "--now", "origin-guard.timer"])
      try boot.waitFor("the timer syncs the new list", unit: "origin-guard.service") {
        try boot.allowed() == timerList
      }

      // A reboot: the table is gone with the namespace; origin-guard-restore.service (enabled
      // with the timer) puts back the last applied list, not the file's newer one, before
      // network-pre.target.
      try boot.run(["systemctl", "disable", "--now", "origin-guard.timer"])
      try boot.run(["systemctl", "enable", "origin-guard-restore.service"])
      try Self.writeList(boot, timerList + ["198.18.0.0/15"])
      boot.kill()
      boot = try await SystemdBoot(root: root, scratch: scratch)
      #expect(try boot.show("origin-guard-restore.service", "Result") == "success")
      #expect(try boot.allowed() == timerList)
      let restored = try boot.show("origin-guard-restore.service", "ActiveEnterTimestampMonotonic")
      let networkPre = try boot.show("network-pre.target", "ActiveEnterTimestampMonotonic")
      #expect(
        (UInt64(restored) ?? .max) <= (UInt64(networkPre) ?? 0),
        "restored at \(restored) µs, network-pre.target reached at \(networkPre) µs")

      // The daemon unit starts (Type=notify) and answers `systemctl reload`.
      try boot.run(["systemctl", "start", "origin-guard-daemon.service"])
      let mainPID = try boot.show("origin-guard-daemon.service", "MainPID")
      let reload = try boot.run(
        ["systemctl", "reload", "origin-guard-daemon.service"], check: false)
      let daemonJournal = try boot.run(
        ["journalctl", "-u", "origin-guard-daemon.service", "--no-pager"], check: false
      ).output
      #expect(reload.status == 0, "\(reload.errorOutput)\n\(daemonJournal)")
      #expect(try boot.show("origin-guard-daemon.service", "ActiveState") == "active")
      #expect(try boot.show("origin-guard-daemon.service", "MainPID") == mainPID)
      try boot.waitFor("the daemon syncs the file's list", unit: "origin-guard-daemon.service") {
        try boot.allowed() == [
          "192.0.2.0/24", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
        ]
      }
    }
  }
}
