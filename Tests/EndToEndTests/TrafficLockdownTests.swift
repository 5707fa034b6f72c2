import TestSupport
import Testing

/// The claim of the README's first paragraph, with real packets: after `bootstrap` only the
/// listed nodes reach 80/443, every other port and loopback are untouched, and `teardown`
/// opens the door again without leaving anything behind.
@Suite("Traffic: lock-down and teardown", .enabled(if: KernelTests.enabled))
struct TrafficLockdownTests {
  @Test(.timeLimit(.minutes(2)), arguments: ["input", "prerouting"])
  func onlyListedNodesReachTheWebPortsUntilTeardown(hook: String) async throws {
    try await withTopology([.cdn, .mid, .outsider]) { topology in
      try await topology.startServer(in: .origin, ports: [80, 443, 22])
      let origin = try GuardedOrigin(topology, .init(hook: hook))
      try origin.writeList(
        GuardedOrigin.list(
          allowing: [.cdn], prefixes: GuardedOrigin.otherNodes + GuardedOrigin.midNetwork))

      var open = ExpectedReach()
      for client in [Topology.Role.cdn, .mid, .outsider] {
        open.set(.connected, from: client, ports: [80, 443, 22])
      }
      try await topology.expect(open, "before bootstrap")

      let bootstrap = try await origin.run("bootstrap", "--yes")
      try #require(bootstrap.status == 0, "\(bootstrap.errorOutput)\(bootstrap.output)")

      var locked = ExpectedReach()
      locked.set(.connected, from: .cdn, ports: [80, 443, 22])
      // Listed only through 10.77.5.0/24 and fd77::5:0/112: a prefix covers its inside.
      locked.set(.connected, from: .mid, ports: [80, 443])
      locked.set(.dropped, from: .outsider, ports: [80, 443])
      locked.set(.connected, from: .outsider, ports: [22])
      // A reset from a closed, unguarded port: the timeouts above are drops, not a dead link.
      locked.set(.refused, from: .outsider, ports: [81])
      locked.set(.connected, from: .origin, ports: [80, 443], to: ["127.0.0.1", "::1"])
      try await topology.expect(locked, "after bootstrap --yes, hook: \(hook)")

      for (address, status) in [
        (Topology.Role.cdn.ipv6, Int32(0)), (Topology.Role.mid.ipv4, 0),
        (Topology.Role.outsider.ipv4, 7),
      ] {
        let check = try await origin.run("check", address)
        #expect(check.status == status, "check \(address): \(check.output)\(check.errorOutput)")
      }

      let teardown = try await origin.run("teardown")
      try #require(teardown.status == 0, "\(teardown.errorOutput)\(teardown.output)")
      try await topology.expect(open, "after teardown")
      let ruleset = try await topology.originRuleset()
      #expect(!ruleset.contains("origin_guard"), "\(ruleset)")
      #expect(ruleset.isEmpty, "nothing else was ever in the origin's ruleset: \(ruleset)")
    }
  }
}
