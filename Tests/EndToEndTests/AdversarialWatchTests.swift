import AddressSet
import Foundation
import Netfilter
import Synchronization
import TestSupport
import Testing

/// `origin-guard run` against other programs that change the ruleset: with `interval: 1h`
/// only the ruleset's events can explain a repair within the second.
@Suite("Adversarial: watch", .enabled(if: KernelTests.enabled), .serialized)
struct AdversarialWatchTests {
  static let list = TestLists.ipv4(10) + TestLists.ipv6

  /// A sandbox with the neighbour's table and a watching daemon whose first sync is done.
  private func withDaemon(
    list: [String] = Self.list,
    _ body: (GuardSandbox, ReliabilityProcess) async throws -> Void
  ) async throws {
    try await GuardSandbox.with { sandbox in
      try sandbox.namespace.load(ruleset: ReliabilityDriftTests.neighbour)
      try sandbox.write("allow.txt", TestLists.text(list))
      try sandbox.writeConfiguration(
        sources: """
            - name: fleet
              type: file
              path: \(sandbox.directory)/allow.txt
          """, extra: "interval: 1h\njitter: 0s")
      let daemon = try sandbox.startOriginGuard(
        ["run", "--log-level", "debug"], output: sandbox.directory + "/daemon.log")
      defer { daemon.stop(signal: SIGKILL) }
      // Generous: with the whole suite running, each `status` is a slow start of the debug build.
      try await waitUntil(
        "the daemon watches after its first sync", sandbox: sandbox, timeout: .seconds(90)
      ) {
        try sandbox.namespace.nft("list", "table", "inet", "origin_guard")
        return (try sandbox.watch()["watching"] as? Bool) == true
      }
      try await body(sandbox, daemon)
    }
  }

  @Test(arguments: ReliabilityDriftTests.Tamper.allCases)
  func eachForeignChangeIsRepairedWithinASecond(_ tamper: ReliabilityDriftTests.Tamper)
    async throws
  {
    try await withDaemon { sandbox, daemon in
      let pristine = try sandbox.ourTable()
      let neighbour = try sandbox.namespace.nft("list", "table", "inet", "neighbour").output

      try tamper.apply(sandbox.namespace)
      let clock = ContinuousClock()
      let start = clock.now
      try await waitUntil("\(tamper) repaired", sandbox: sandbox, timeout: .seconds(1)) {
        try sandbox.ourTable() == pristine
      }
      let took = clock.now - start
      #expect(try sandbox.namespace.nft("list", "table", "inet", "neighbour").output == neighbour)
      try await waitUntil("the repair recorded", sandbox: sandbox) {
        try sandbox.metrics().value("drift_repairs_total", ["trigger": "event"]) == 1
      }
      #expect(try sandbox.metrics().value("drift_exposure_seconds_count") == 1)
      let last = try #require(try sandbox.watch()["last_repair"] as? [String: Any])
      #expect(last["trigger"] as? String == "event")
      let status = try sandbox.originGuard("status").output
      #expect(status.contains("daemon: watching the ruleset since"), "\(status)")
      #expect(status.contains("last repair: "), "\(status)")
      #expect(daemon.stop(signal: SIGTERM) == 0)
      ReliabilityRuns.report(
        "watch-repair-\(tamper)",
        [
          (
            "ms",
            took.components.attoseconds / 1_000_000_000_000_000 + took.components.seconds * 1000
          )
        ])
    }
  }

  @Test func ourOwnSyncsCauseNoRepair() async throws {
    try await withDaemon { sandbox, daemon in
      // Another origin-guard process commits to our table: a foreign commit that the check
      // under the lock finds in line with the saved state.
      for count in [12, 14, 10] {
        try sandbox.write("allow.txt", TestLists.text(TestLists.ipv4(count) + TestLists.ipv6))
        #expect(try sandbox.originGuard("sync").status == 0)
      }
      // The daemon's own cycle (SIGHUP reloads and syncs at once) is not even noticed.
      try sandbox.write("allow.txt", TestLists.text(TestLists.ipv4(11) + TestLists.ipv6))
      let before = try sandbox.generation()
      kill(daemon.pid, SIGHUP)
      try await waitUntil("the daemon's cycle applied", sandbox: sandbox) {
        try sandbox.generation() == before + 1
      }
      try await Task.sleep(for: .milliseconds(300))
      #expect(try sandbox.generation() == before + 1, "no repair after our own commit")
      #expect(try sandbox.metrics().value("drift_repairs_total", ["trigger": "event"]) ?? 0 == 0)
      let log = try String(contentsOfFile: sandbox.directory + "/daemon.log", encoding: .utf8)
      #expect(!log.contains("repaired our table"), "\(log)")
      #expect(daemon.isRunning)
      #expect(daemon.stop(signal: SIGTERM) == 0)
      #expect((try sandbox.watch()["running"] as? Bool) == false)
    }
  }

  @Test func aThousandDeletionsEndWithOurTableAndAPacedDaemon() async throws {
    try await withDaemon { sandbox, daemon in
      let pristine = try sandbox.ourTable()
      let clock = ContinuousClock()
      let start = clock.now
      try sandbox.namespace.run([
        "sh", "-c",
        // One nft process, one commit per line: 1,000 deletions as fast as nft can send them.
        "yes 'delete table inet origin_guard' | head -1000 | nft -i >/dev/null 2>&1; true",
      ])
      let fight = clock.now - start
      #expect(daemon.isRunning)
      // The back-off spaces repairs at most 8 s apart: the table is back within that.
      try await waitUntil("our table back", sandbox: sandbox, timeout: .seconds(10)) {
        try sandbox.ourTable() == pristine
      }
      try await Task.sleep(for: .milliseconds(200))
      let repairs = try #require(
        try sandbox.metrics().value("drift_repairs_total", ["trigger": "event"]))
      // 10 repairs in any 10 s, then at most one a second.
      let seconds = Double(fight.components.seconds) + 1
      #expect(repairs <= 10 + seconds, "\(repairs) repairs in \(seconds) s")
      let log = try String(contentsOfFile: sandbox.directory + "/daemon.log", encoding: .utf8)
      #expect(
        repairs < 10 || log.contains("another program keeps changing our table"),
        "\(log.suffix(2000))")
      let cpu = try sandbox.cpuSeconds(of: daemon.pid)
      #expect(daemon.isRunning)
      #expect(daemon.stop(signal: SIGTERM) == 0)
      ReliabilityRuns.report(
        "watch-fight",
        [("deletions", 1000), ("seconds", seconds), ("repairs", Int(repairs)), ("cpu_s", cpu)])
    }
  }

  /// Issue 11 item 4: another program commits to its own table about 30 times a second while
  /// 10 syncs of a 2,000-prefix list run; at least 9 must apply.
  @Test func syncsLandWhileANeighbourCommitsThirtyTimesASecond() async throws {
    let lists = LargeLists(count: 2_000)
    try await GuardSandbox.with { sandbox in
      try sandbox.namespace.load(
        ruleset: "table inet other {\n  set busy { type ipv4_addr; flags interval; }\n}\n")
      try ReliabilityCrashTests.prepare(sandbox, lists)
      _ = try ReliabilityCrashTests.sync(sandbox, to: lists.a)
      // The neighbour commits through a netlink socket of its own, exactly 30 times a second
      // (an `nft` process per commit cannot keep that pace on a loaded machine).
      let writer = try NeighbourWriter(namespace: sandbox.namespace, commitsPerSecond: 30)
      defer { writer.stop() }
      let clock = ContinuousClock()
      let start = clock.now
      let first = try sandbox.generation()
      var applied = 0
      var current = lists.a
      for _ in 0..<10 {
        let target = lists.other(than: current)
        try sandbox.write("allow.txt", target.text)
        let sync = try sandbox.originGuard(["sync", "--log-level", "notice"])
        if sync.status == 0 {
          applied += 1
          current = target
        }
      }
      let elapsed = clock.now - start
      let commits = try sandbox.generation() - first - applied
      writer.stop()
      let seconds =
        Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
      let rate = Double(commits) / seconds
      #expect(applied >= 9, "\(applied) of 10 syncs applied")
      #expect(rate >= 25, "the neighbour committed only \(rate) times a second")
      #expect(try sandbox.kernelList(lists)?.name == current.name)
      ReliabilityRuns.report(
        "watch-neighbour-30", [("applied", applied), ("of", 10), ("neighbour_commits_per_s", rate)])
    }
  }

  private func waitUntil(
    _ what: String, sandbox: GuardSandbox, timeout: Duration = .seconds(30),
    _ condition: () throws -> Bool
  ) async throws {
    let deadline = ContinuousClock.now + timeout
    var lastError: (any Error)?
    var slowest = Duration.zero
    var checks = 0
    // The last check starts at or after the deadline: a check that took seconds on a loaded
    // machine (one `nft` took 4.4 s) must not turn a repair of 25 ms into a timeout.
    while true {
      let started = ContinuousClock.now
      do {
        if try condition() { return }
        lastError = nil
      } catch {
        lastError = error
      }
      slowest = max(slowest, ContinuousClock.now - started)
      checks += 1
      if started >= deadline { break }
      try await Task.sleep(for: .milliseconds(10))
    }
    let log =
      (try? String(contentsOfFile: sandbox.directory + "/daemon.log", encoding: .utf8)) ?? ""
    let status =
      (try? sandbox.originGuard(["status", "--json"]))
      .map { "status \($0.status): \($0.output.suffix(1500))\($0.errorOutput.suffix(500))" } ?? ""
    throw ServerError(
      "timed out after \(timeout) waiting for \(what) (\(checks) checks, the slowest took \(slowest))\(lastError.map { " (last check: \($0))" } ?? ""); \(status)\ndaemon log:\n\(log.suffix(3000))"
    )
  }
}

extension GuardSandbox {
  /// `nft -j list table inet origin_guard` parsed, without handles: equal when the table holds
  /// the same sets, elements, chains and rules, recreated or not.
  func ourTable() throws -> String {
    let items = try namespace.nftJSON("list", "table", "inet", "origin_guard")
    func strip(_ value: Any) -> Any {
      if let object = value as? [String: Any] {
        return object.filter { $0.key != "handle" }.mapValues(strip)
      }
      if let array = value as? [Any] { return array.map(strip) }
      return value
    }
    let data = try JSONSerialization.data(
      withJSONObject: items.map(strip), options: [.sortedKeys])
    return String(decoding: data, as: UTF8.self)
  }

  /// `status --json`'s `watch` object.
  func watch() throws -> [String: Any] {
    guard let watch = try status()["watch"] as? [String: Any] else {
      throw ServerError("status --json without watch")
    }
    return watch
  }

  /// utime + stime of a process, in seconds.
  func cpuSeconds(of pid: Int32) throws -> Double {
    let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
    let fields = stat[stat.index(after: stat.lastIndex(of: ")")!)...].split(separator: " ")
    // Fields after the command: state is field 3, utime 14 and stime 15 (1-based).
    let ticks = (Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)
    return ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
  }
}

/// Another program committing to its own table `inet other` at a fixed rate, on a thread of
/// its own: adds and deletes 192.0.2.x in set `busy`, one commit each.
final class NeighbourWriter: Sendable {
  private final class Flags: Sendable {
    let stopped = Atomic<Bool>(false)
    let done = Mutex(false)
  }

  private let flags = Flags()

  init(namespace: ThrowawayNamespace, commitsPerSecond: Int) throws {
    let backend = try NetlinkBackend(networkNamespace: namespace.path)
    let flags = flags
    let thread = Thread {
      let start = ContinuousClock.now
      var count = 0
      while !flags.stopped.load(ordering: .relaxed) {
        let address = IPv4Address(192, 0, 2, UInt8(count / 2 % 250))
        var transaction = Transaction()
        let range = [AddressRange(first: address, last: address)]
        if count % 2 == 0 {
          transaction.addElements(range, set: "busy", table: "other")
        } else {
          transaction.removeElements(range, set: "busy", table: "other")
        }
        _ = try? backend.apply(transaction, expectedGeneration: nil)
        count += 1
        let next = start + .seconds(Double(count) / Double(commitsPerSecond))
        let wait = next - ContinuousClock.now
        if wait > .zero {
          Thread.sleep(
            forTimeInterval: Double(wait.components.seconds) + Double(wait.components.attoseconds)
              * 1e-18)
        }
      }
      flags.done.withLock { $0 = true }
    }
    thread.start()
  }

  /// Stops the commits and waits for the thread to end.
  func stop() {
    flags.stopped.store(true, ordering: .relaxed)
    while !flags.done.withLock({ $0 }) { Thread.sleep(forTimeInterval: 0.01) }
  }
}
