import Foundation
import TestSupport
import Testing

/// A systemd unit file: every `Key=value` of every section, in order (keys may repeat).
struct UnitFile {
  let name: String
  private var entries: [(section: String, key: String, value: String)] = []

  init(name: String, text: String) {
    self.name = name
    var section = ""
    for rawLine in text.split(separator: "\n") {
      let line = rawLine.trimmingCharacters(in: .whitespaces)
      if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
      if line.hasPrefix("["), line.hasSuffix("]") {
        section = String(line.dropFirst().dropLast())
      } else if let equals = line.firstIndex(of: "=") {
        entries.append(
          (section, String(line[..<equals]), String(line[line.index(after: equals)...])))
      }
    }
  }

  /// Every value given to `key` in `section`.
  func values(_ section: String, _ key: String) -> [String] {
    entries.filter { $0.section == section && $0.key == key }.map(\.value)
  }

  /// The words of every value of a list-valued key (`After=a b` + `After=c` → a, b, c).
  func words(_ section: String, _ key: String) -> [String] {
    values(section, key).flatMap { $0.split(separator: " ").map(String.init) }
  }

  func value(_ section: String, _ key: String) -> String? { values(section, key).last }
}

@Suite("systemd units")
struct DeploySystemdTests {
  static let unitNames = [
    "origin-guard.service", "origin-guard.timer", "origin-guard-restore.service",
    "origin-guard-daemon.service",
  ]
  static let serviceNames = unitNames.filter { $0.hasSuffix(".service") }

  func unit(_ name: String) throws -> UnitFile {
    UnitFile(name: name, text: try Deploy.text("deploy/systemd/\(name)"))
  }

  @Test func systemdAnalyzeVerifyAcceptsEveryUnitWithoutAWarning() async throws {
    try await Deploy.withScratchDirectory { scratch in
      // verify wants ExecStart's binary to exist: point it at the one just built.
      for name in Self.unitNames {
        let text = try Deploy.text("deploy/systemd/\(name)")
          .replacingOccurrences(of: "/usr/bin/origin-guard", with: OriginGuardBinary.path)
        try Deploy.write(text, to: "\(scratch)/\(name)", mode: 0o644)
      }
      let result = try run(
        ["systemd-analyze", "verify", "--man=no"] + Self.unitNames.map { "\(scratch)/\($0)" },
        check: false)
      #expect(result.status == 0, "\(result.errorOutput)")
      let aboutOurs = result.errorOutput.split(separator: "\n").filter { line in
        line.contains(scratch) || Self.unitNames.contains { line.contains($0) }
      }
      #expect(aboutOurs.isEmpty, "systemd-analyze verify: \(aboutOurs.joined(separator: "\n"))")
    }
  }

  /// Each service runs as root with CAP_NET_ADMIN alone, and cannot write outside its state
  /// directory and the node_exporter textfile directory.
  @Test(arguments: serviceNames)
  func serviceIsSandboxed(_ name: String) throws {
    let unit = try unit(name)
    let required: [(String, String)] = [
      ("CapabilityBoundingSet", "CAP_NET_ADMIN"),
      ("NoNewPrivileges", "yes"),
      ("ProtectSystem", "strict"),
      ("ProtectHome", "yes"),
      ("StateDirectory", "origin-guard"),
      ("StateDirectoryMode", "0700"),
      ("ReadWritePaths", "-/var/lib/prometheus/node-exporter"),
      ("RestrictAddressFamilies", "AF_NETLINK AF_INET AF_INET6 AF_UNIX"),
      ("PrivateTmp", "yes"),
      ("PrivateDevices", "yes"),
      ("ProtectKernelModules", "yes"),
      ("ProtectKernelTunables", "yes"),
      ("ProtectKernelLogs", "yes"),
      ("ProtectControlGroups", "yes"),
      ("LockPersonality", "yes"),
      ("MemoryDenyWriteExecute", "yes"),
      ("RestrictNamespaces", "yes"),
      ("RestrictRealtime", "yes"),
      ("RestrictSUIDSGID", "yes"),
      ("SystemCallArchitectures", "native"),
      ("UMask", "0077"),
    ]
    for (key, value) in required {
      #expect(unit.value("Service", key) == value, "\(name): \(key)=\(value)")
    }
    #expect(unit.values("Service", "SystemCallFilter") == ["@system-service", "~@privileged"])
    #expect(unit.values("Service", "User").isEmpty, "\(name) runs as root (root-owned 0600 files)")
    #expect(unit.values("Service", "AmbientCapabilities").isEmpty)
    #expect(unit.value("Service", "ExecStart")?.hasPrefix("/usr/bin/origin-guard ") == true)
  }

  @Test(arguments: serviceNames)
  func systemdRatesTheServiceAsWellConfined(_ name: String) async throws {
    try await Deploy.withScratchDirectory { scratch in
      let text = try Deploy.text("deploy/systemd/\(name)")
        .replacingOccurrences(of: "/usr/bin/origin-guard", with: OriginGuardBinary.path)
      try Deploy.write(text, to: "\(scratch)/\(name)", mode: 0o644)
      // --threshold is ten times the printed exposure: ours print 1.9–2.0, a service with no
      // sandboxing at all 9.6.
      let result = try run(
        ["systemd-analyze", "security", "--offline=yes", "--threshold=25", "\(scratch)/\(name)"],
        check: false)
      let overall = result.output.split(separator: "\n").last { $0.contains("Overall exposure") }
      #expect(result.status == 0, "\(name): \(overall ?? "")\(result.errorOutput)")
    }
  }

  @Test(arguments: serviceNames)
  func theCommandLineOfEveryServiceIsAcceptedByTheBinary(_ name: String) throws {
    let unit = try unit(name)
    let execStart = try #require(unit.value("Service", "ExecStart"))
    let arguments = execStart.split(separator: " ").dropFirst().map(String.init)
    let result = try Deploy.startsWithArguments(arguments)
    #expect(
      result.status == 1 && result.errorOutput.contains("cannot open"),
      "\(execStart): \(result.errorOutput)")
  }

  @Test func theTimerServiceSyncsQueueingBehindALock() throws {
    let service = try unit("origin-guard.service")
    #expect(service.value("Service", "Type") == "oneshot")
    #expect(service.value("Service", "ExecStart") == "/usr/bin/origin-guard sync --wait")
    #expect(service.words("Unit", "After").contains("network-online.target"))
    #expect(service.words("Unit", "Wants").contains("network-online.target"))
    #expect(
      service.value("Service", "TimeoutStartSec") != nil, "a hung sync must not stall the timer")
  }

  @Test func theTimerFiresEveryFiveMinutesSpreadOverTheFleet() throws {
    let timer = try unit("origin-guard.timer")
    #expect(timer.value("Timer", "OnCalendar") == "*:0/5")
    #expect(timer.value("Timer", "RandomizedDelaySec") != nil)
    #expect(timer.value("Timer", "Persistent") == "true")
    #expect(timer.words("Unit", "Conflicts").contains("origin-guard-daemon.service"))
    #expect(timer.words("Install", "WantedBy") == ["timers.target"])
    #expect(timer.words("Install", "Also") == ["origin-guard-restore.service"])
    // Every 5 minutes, as systemd reads the expression.
    let next = try run(["systemd-analyze", "calendar", "--iterations=3", "*:0/5"]).output
    #expect(next.contains("Normalized form: *-*-* *:00/5:00"))
  }

  /// At boot the last applied list is back before any interface is up and before a web server
  /// listens, and nothing waits for the network (the sources may be unreachable then).
  @Test func theRestoreRunsEarlyAtBootWithoutTheNetwork() throws {
    let restore = try unit("origin-guard-restore.service")
    #expect(restore.value("Service", "ExecStart") == "/usr/bin/origin-guard sync --from-cache")
    #expect(restore.value("Unit", "DefaultDependencies") == "no")
    let before = Set(restore.words("Unit", "Before"))
    for unit in [
      "network-pre.target", "nginx.service", "apache2.service", "caddy.service", "docker.service",
      "shutdown.target",
    ] {
      #expect(before.contains(unit), "Before=\(unit)")
    }
    #expect(restore.words("Unit", "Wants") == ["network-pre.target"])
    let after = Set(restore.words("Unit", "After"))
    #expect(
      after.isSuperset(of: ["local-fs.target", "nftables.service", "netfilter-persistent.service"]))
    let waitsForNetwork =
      (restore.words("Unit", "After") + restore.words("Unit", "Wants")
      + restore.words("Unit", "Requires")).filter {
        $0.hasPrefix("network") && $0 != "network-pre.target"
      }
    #expect(waitsForNetwork.isEmpty)
    #expect(restore.words("Unit", "Conflicts") == ["shutdown.target"])
    #expect(restore.words("Install", "WantedBy") == ["sysinit.target"])
  }

  @Test func theDaemonIsTheAlternativeToTheTimer() throws {
    let daemon = try unit("origin-guard-daemon.service")
    #expect(daemon.value("Service", "Type") == "notify")
    #expect(daemon.value("Service", "ExecStart") == "/usr/bin/origin-guard run")
    #expect(daemon.value("Service", "ExecReload") == "/bin/kill -HUP $MAINPID")
    #expect(daemon.value("Service", "Restart") == "on-failure")
    #expect(
      Set(daemon.words("Unit", "Conflicts")) == ["origin-guard.timer", "origin-guard.service"])
    #expect(daemon.words("Install", "Also") == ["origin-guard-restore.service"])
  }
}
