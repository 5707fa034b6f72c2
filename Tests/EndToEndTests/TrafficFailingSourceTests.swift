import Foundation
import TestSupport
import Testing

/// A source that breaks must not take the site down or open it: whatever goes wrong, the
/// kernel keeps the same ruleset and every client sees exactly what it saw before.
@Suite("Traffic: failing sources", .enabled(if: KernelTests.enabled))
struct TrafficFailingSourceTests {
  /// Ten entries, so that keeping the first line is a 90 % shrink.
  static let nodes = GuardedOrigin.list(
    allowing: [.cdn],
    prefixes: GuardedOrigin.otherNodes + [
      "203.0.113.0/24", "2001:db8:78::/48", "198.18.0.0/24", "2001:db8:79::/48", "198.18.1.0/24",
      "2001:db8:7a::/48",
    ])
  static let healthChecks = "192.0.2.0/24\n2001:db8:2::/48\n"

  @Test(.timeLimit(.minutes(2)))
  func failuresChangeNothing() async throws {
    try await withTopology([.cdn, .outsider]) { topology in
      try await topology.startServer(in: .origin, ports: [80, 443])
      let origin = try GuardedOrigin(topology, .init(listServerPort: 8000))
      try origin.writeList(Self.nodes)
      try await origin.startListServer(serving: Self.healthChecks)
      let bootstrap = try await origin.run("bootstrap", "--yes")
      try #require(bootstrap.status == 0, "\(bootstrap.errorOutput)\(bootstrap.output)")

      var expected = ExpectedReach()
      expected.set(.connected, from: .cdn, ports: [80, 443])
      expected.set(.dropped, from: .outsider, ports: [80, 443])
      let seenBefore = try await topology.expect(expected, "locked down")
      let rulesetBefore = try await topology.originRuleset()

      /// Runs `sync` with the failure in place, then undoes it.
      func failure(
        _ what: Comment, exitCode: Int32, stderr mention: String, inject: () throws -> Void,
        undo: () throws -> Void
      ) async throws {
        try inject()
        let sync = try await origin.run("sync")
        try undo()
        #expect(sync.status == exitCode, "\(what): \(sync.errorOutput)\(sync.output)")
        #expect(sync.errorOutput.contains(mention), "\(what): \(sync.errorOutput)")
        #expect(try await topology.originRuleset() == rulesetBefore, "\(what)")
        #expect(try await topology.reach(expected.outcomes.keys) == seenBefore, "\(what)")
      }

      let moved = origin.listPath + ".moved"
      try await failure(
        "the list file vanished", exitCode: 0,
        stderr: "using the last-known-good list of source nodes",
        inject: { try FileManager.default.moveItem(atPath: origin.listPath, toPath: moved) },
        undo: { try FileManager.default.moveItem(atPath: moved, toPath: origin.listPath) })
      try await failure(
        "the url source answered 500", exitCode: 0,
        stderr: "using the last-known-good list of source health-checks",
        inject: { try origin.setListServerStatus(500) },
        undo: { try origin.setListServerStatus(nil) })
      let firstTenth = Self.nodes.split(separator: "\n").dropFirst().prefix(1)
      try await failure(
        "the list shrank by 90 %", exitCode: 3, stderr: "more than max_shrink_percent",
        inject: { try origin.writeList(firstTenth.joined(separator: "\n") + "\n") },
        undo: { try origin.writeList(Self.nodes) })
    }
  }
}
