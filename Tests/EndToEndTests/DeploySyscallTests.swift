import Foundation
import TestSupport
import Testing

/// `SystemCallFilter=` makes a system call outside the list fail with EPERM. Every system call
/// the binary makes in the units' jobs — a sync fetching over HTTP, status, check, the
/// boot-time restore, a daemon cycle — traced with strace, must be in what each unit allows,
/// as `systemd-analyze syscall-filter` expands its groups.
@Suite("The units' system call filter", .enabled(if: KernelTests.enabled))
struct DeploySyscallTests {
  /// Every group of `systemd-analyze syscall-filter`, expanded to system call names.
  static func syscallGroups() throws -> [String: Set<String>] {
    var direct: [String: [String]] = [:]
    var current: String?
    for line in try run(["systemd-analyze", "syscall-filter", "--no-pager"]).output.split(
      separator: "\n")
    {
      if line.hasPrefix("@") {
        current = String(line)
        direct[String(line), default: []] = []
      } else if let current {
        let entry = line.trimmingCharacters(in: .whitespaces)
        if !entry.isEmpty && !entry.hasPrefix("#") { direct[current, default: []].append(entry) }
      }
    }
    func expand(_ group: String, seen: Set<String>) -> Set<String> {
      guard !seen.contains(group) else { return [] }
      return (direct[group] ?? []).reduce(into: Set<String>()) { names, entry in
        if entry.hasPrefix("@") {
          names.formUnion(expand(entry, seen: seen.union([group])))
        } else {
          names.insert(entry)
        }
      }
    }
    return direct.keys.reduce(into: [:]) { $0[$1] = expand($1, seen: []) }
  }

  /// What a unit's `SystemCallFilter=` lines allow: the first is an allow list, `~` lines deny.
  static func allowed(by unit: UnitFile, groups: [String: Set<String>]) throws -> Set<String> {
    func names(_ words: Substring) -> Set<String> {
      words.split(separator: " ").reduce(into: Set<String>()) { names, word in
        if word.hasPrefix("@") {
          names.formUnion(groups[String(word)] ?? [])
        } else {
          names.insert(String(word))
        }
      }
    }
    var allowed: Set<String> = []
    for value in unit.values("Service", "SystemCallFilter") {
      if value.hasPrefix("~") {
        allowed.subtract(names(value.dropFirst()))
      } else {
        allowed.formUnion(names(Substring(value)))
      }
    }
    return allowed
  }

  /// The system call names in an `strace -f` log.
  static func syscalls(inTrace text: String) -> Set<String> {
    var names: Set<String> = []
    for line in text.split(separator: "\n") {
      if let match = line.firstMatch(of: /^\d+\s+(?:<\.\.\. )?([a-z0-9_]+)[( ]/) {
        names.insert(String(match.1))
      }
    }
    return names
  }

  @Test func everySystemCallTheJobsMakeIsAllowed() async throws {
    let groups = try Self.syscallGroups()
    try #require(
      groups["@system-service"]?.contains("read") == true, "could not read systemd's groups")
    try await withThrowawayNamespace { namespace in
      try await Deploy.withScratchDirectory { scratch in
        try FileManager.default.createDirectory(
          atPath: "\(scratch)/www", withIntermediateDirectories: false)
        try Deploy.write(
          "203.0.113.0/24\n2001:db8:1::/48\n", to: "\(scratch)/www/list.txt", mode: 0o644)
        try Deploy.write(
          """
          sources:
            - name: cdn
              type: url
              url: http://127.0.0.1:8080/list.txt
              retry_max_attempts: 1
          state_dir: \(scratch)/state
          metrics_file: \(scratch)/metrics/origin_guard.prom
          """, to: "\(scratch)/config.yaml")
        let jobs = [
          ["sync", "--wait"], ["status"], ["check", "203.0.113.7"], ["sync", "--from-cache"],
          ["run", "--cycles", "1"],
        ]
        var script = Deploy.serveHTTP("\(scratch)/www") + "\nset -e\n"
        for (index, job) in jobs.enumerated() {
          script +=
            "strace -f -qq -o '\(scratch)/trace-\(index)' '\(OriginGuardBinary.path)' \(job.joined(separator: " ")) -c '\(scratch)/config.yaml'\n"
        }
        let result = try namespace.run(["bash", "-c", script], check: false)
        try #require(result.status == 0, "\(result.errorOutput)")

        var used: Set<String> = []
        for index in jobs.indices {
          used.formUnion(
            Self.syscalls(
              inTrace: try String(contentsOfFile: "\(scratch)/trace-\(index)", encoding: .utf8)))
        }
        try #require(
          used.contains("sendmsg") || used.contains("sendto"), "the trace holds no netlink traffic")
        for name in DeploySystemdTests.serviceNames {
          let unit = UnitFile(name: name, text: try Deploy.text("deploy/systemd/\(name)"))
          let denied = used.subtracting(try Self.allowed(by: unit, groups: groups))
          #expect(
            denied.isEmpty, "\(name) would refuse: \(denied.sorted().joined(separator: ", "))")
        }
      }
    }
  }
}
