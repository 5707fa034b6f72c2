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

  /// A shell loop, not the test's own task, flips the list and samples VmRSS once a second:
  /// on a loaded 2-core machine the test's task may not be scheduled for the whole run.
  static let sampler = """
    pid=$1 dir=$2 n=0
    while status=$(cat /proc/$pid/status 2>/dev/null) && ! printf '%s\\n' "$status" | grep -q '^State:.*[ZX]'; do
      printf '%s\\n' "$status" | awk '/^VmRSS:/ { print $2 }' >>"$dir/rss.txt"
      n=$((n + 1))
      if [ $((n % 2)) -eq 0 ]; then list=a; else list=b; fi
      cp "$dir/$list.txt" "$dir/next.txt" && mv "$dir/next.txt" "$dir/allow.txt"
      sleep 1
    done
    """

  @Test func residentMemoryStaysFlatOverManyCycles() async throws {
    let cycles = ReliabilityRuns.count(short: 20, long: 2000)
    let lists = LargeLists(count: ReliabilityRuns.count(short: 2_000, long: 10_000))
    try await GuardSandbox.with { sandbox in
      try prepare(sandbox, lists)
      try sandbox.write("a.txt", lists.a.text)
      try sandbox.write("b.txt", lists.b.text)
      let log = sandbox.directory + "/run.log"
      let daemon = try sandbox.startOriginGuard(["run", "--cycles", "\(cycles)"], output: log)
      let sampler = try ReliabilityProcess(
        ["sh", "-c", Self.sampler, "sampler", "\(daemon.pid)", sandbox.directory])
      let status = daemon.wait()
      _ = sampler.wait()
      #expect(status == 0)
      let samples = try String(contentsOfFile: sandbox.directory + "/rss.txt", encoding: .utf8)
        .split(separator: "\n").compactMap { Int($0) }
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
