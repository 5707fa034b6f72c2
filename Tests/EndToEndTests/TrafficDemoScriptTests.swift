import Foundation
import TestSupport
import Testing

/// `scripts/demo` is the README's first command: it must work, show what it promises, and
/// leave nothing behind.
@Suite("Traffic: scripts/demo", .enabled(if: KernelTests.enabled))
struct TrafficDemoScriptTests {
  static let repository = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  @Test(.timeLimit(.minutes(2)))
  func demoRunsAndCleansUp() async throws {
    let tablesBefore = try await runDetached(["nft", "list", "tables"]).output
    // --no-setup: the build is done, and `swift build` would wait for the lock `swift test`
    // holds on .build.
    let demo = try await runDetached(
      [
        "env", "ORIGIN_GUARD_BIN=\(OriginGuardBinary.path)",
        Self.repository.appendingPathComponent("scripts/demo").path, "--no-setup",
      ], check: false)
    let output = demo.output
    #expect(demo.status == 0, "\(demo.errorOutput)\(output)")

    let prefix = try #require(
      output.firstMatch(of: /namespaces (og-demo-\d+-\d+)-\*/)?.1, "\(output)")
    let namespaces = try await runDetached(["ip", "netns", "list"]).output
    #expect(!namespaces.contains(prefix), "left behind: \(namespaces)")
    #expect(output.contains("Cleaned up"))

    // Columns are padded: compare with runs of spaces collapsed.
    let text = output.replacing(#/ +/#, with: " ")
    for line in [
      "outsider -> 10.77.0.1 port 80: connected",  // before the lock-down
      "Locked down:",
      "cdn -> 10.77.0.1 port 80: connected",
      "cdn -> fd77::1 port 443: connected",
      "outsider -> 10.77.0.1 port 80: dropped",
      "outsider -> fd77::1 port 443: dropped",
      "outsider -> 10.77.0.1 port 22: connected",
      "- 10.77.1.2/32",  // the rotation's plan
      "+ 203.0.113.10/32",
      "cdn -> 10.77.0.1 port 80: dropped",  // after the rotation
      "Removed table inet origin_guard",
    ] {
      #expect(text.contains(line), "missing \(line) in:\n\(output)")
    }
    // Only namespaces were used: the host's own tables are what they were.
    let tablesAfter = try await runDetached(["nft", "list", "tables"]).output
    #expect(tablesAfter.contains("origin_guard") == tablesBefore.contains("origin_guard"))
  }
}
