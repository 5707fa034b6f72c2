import Foundation
import TestSupport
import Testing

/// `kill -9` of the real binary in the middle of applying a large change: the kernel must hold
/// exactly the old list or exactly the new one (both sets, never a mix), the state directory
/// the old or the new last-known-good list (never a corrupt one), and the next sync converges.
@Suite("Reliability: kill -9", .enabled(if: KernelTests.enabled))
struct ReliabilityCrashTests {
  /// 100,000 in the long run (with a release binary); CI's debug build parses and plans about
  /// twenty times slower, so it goes round with 5,000 (an apply still takes a second or two).
  static let listSize = ReliabilityRuns.count(short: 5_000, long: 100_000)

  /// A file source over `allow.txt`; the guards let A replace B and back.
  static func prepare(_ sandbox: GuardSandbox, _ lists: LargeLists) throws {
    try sandbox.write("allow.txt", lists.a.text)
    try sandbox.writeConfiguration(
      sources: """
          - name: fleet
            type: file
            path: \(sandbox.directory)/allow.txt
        """,
      extra: "guards:\n  max_shrink_percent: 100")
  }

  /// Syncs to `list` to completion and returns how long that took.
  static func sync(_ sandbox: GuardSandbox, to list: LargeLists.List) throws -> Duration {
    try sandbox.write("allow.txt", list.text)
    let start = ContinuousClock.now
    let result = try sandbox.originGuard("sync")
    try #require(result.status == 0, "sync to \(list.name): \(result.errorOutput)")
    return ContinuousClock.now - start
  }

  @Test func killedAtRandomMomentsOfAnApply() async throws {
    let kills = ReliabilityRuns.count(short: 10, long: 100)
    let lists = LargeLists(count: Self.listSize)
    try await GuardSandbox.with { sandbox in
      try Self.prepare(sandbox, lists)
      _ = try Self.sync(sandbox, to: lists.a)
      // A full apply of the change, to know the window to kill in. Load changes while the
      // test runs: the window shrinks when a sync beat the kill, and grows when none did.
      let measured = try Self.sync(sandbox, to: lists.b)
      var window = measured
      try #require(try sandbox.kernelList(lists)?.name == "B")
      var current = lists.b
      var found: [String: Int] = ["old": 0, "new": 0, "finished before the kill": 0]
      for _ in 0..<kills {
        let target = lists.other(than: current)
        try sandbox.write("allow.txt", target.text)
        let delay = window * Double.random(in: 0.05...1.1)
        let process = try sandbox.startOriginGuard(["sync"])
        try await Task.sleep(for: delay)
        let finished = !process.isRunning
        process.stop(signal: SIGKILL)

        let held = try sandbox.kernelList(lists)
        #expect(
          held?.name == current.name || held?.name == target.name,
          "after kill -9 at \(delay) the kernel holds neither list A nor list B")
        window = window * (finished ? 0.7 : 1.1)
        if finished {
          found["finished before the kill", default: 0] += 1
        } else {
          found[held?.name == current.name ? "old" : "new", default: 0] += 1
        }
        let exported = try sandbox.exportedPrefixes()
        #expect(
          exported == Set(current.ipv4 + current.ipv6)
            || exported == Set(target.ipv4 + target.ipv6),
          "the last-known-good list is neither A nor B, or reported corrupt")

        let converge = try sandbox.originGuard("sync")
        #expect(converge.status == 0, "the sync after the kill: \(converge.errorOutput)")
        let plan = try sandbox.originGuard("plan", "--detailed-exitcode")
        #expect(plan.status == 0, "not in sync after the sync that followed the kill")
        current = target
      }
      #expect(try sandbox.kernelList(lists)?.name == current.name)
      ReliabilityRuns.report(
        "kill-9-random",
        [("kills", kills), ("prefixes", Self.listSize), ("apply_window", measured)]
          + found.sorted { $0.key < $1.key }.map {
            ($0.key.replacingOccurrences(of: " ", with: "_"), $0.value)
          })
    }
  }
}
