import Foundation
import TestSupport
import Testing

/// Long runs of the daemon keep their memory: resident size sampled from /proc over many
/// cycles that each apply a change. (The leak check runs under LeakSanitizer in
/// `scripts/reliability --long`: valgrind 3.19, Debian 12's, cannot run Swift 6.3 binaries.)
@Suite("Reliability: memory", .enabled(if: KernelTests.enabled))
struct ReliabilityMemoryTests {
  /// A file source that flips between two lists, one sync a second.
  func prepare(_ sandbox: GuardSandbox, _ lists: LargeLists) throws {
    try sandbox.write("allow.txt", lists.a.text)
    try sandbox.writeConfiguration(
      sources: """
          - name: fleet
            type: file
            path: \(sandbox.directory)/allow.txt
        """,
      extra: "interval: 1s\njitter: 0s\nguards:\n  max_shrink_percent: 100")
  }

  static func residentKilobytes(_ pid: Int32) -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
      let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
    else { return nil }
    return Int(line.split(separator: " ").dropFirst().first ?? "")
  }

  @Test func residentMemoryStaysFlatOverManyCycles() async throws {
    let cycles = ReliabilityRuns.count(short: 20, long: 2000)
    let lists = LargeLists(count: ReliabilityRuns.count(short: 2_000, long: 10_000))
    try await GuardSandbox.with { sandbox in
      try prepare(sandbox, lists)
      let log = sandbox.directory + "/run.log"
      let daemon = try sandbox.startOriginGuard(["run", "--cycles", "\(cycles)"], output: log)
      var samples: [Int] = []
      var current = lists.a
      while daemon.isRunning {
        try await Task.sleep(for: .milliseconds(1000))
        current = lists.other(than: current)
        try sandbox.write("allow.txt", current.text)
        if let rss = Self.residentKilobytes(daemon.pid) { samples.append(rss) }
      }
      #expect(daemon.wait() == 0)
      let output = try String(contentsOfFile: log, encoding: .utf8)
      let completed = output.components(separatedBy: "sync: added").count - 1
      #expect(completed == cycles, "\(output.suffix(2000))")
      #expect(!output.contains("sync failed"), "\(output.suffix(2000))")
      try #require(samples.count >= 10)
      // After the first tenth (caches, connections, allocator arenas), no growth.
      let warm = samples[(samples.count / 10)...]
      let early = warm.prefix(warm.count / 2).max()!
      let late = warm.suffix(warm.count / 2).max()!
      ReliabilityRuns.report(
        "rss",
        [
          ("cycles", cycles), ("samples", samples.count), ("first_kb", samples.first!),
          ("early_max_kb", early), ("late_max_kb", late), ("max_kb", samples.max()!),
        ])
      #expect(late - early < 4096, "RSS grew from \(early) kB to \(late) kB over \(cycles) cycles")
    }
  }
}
