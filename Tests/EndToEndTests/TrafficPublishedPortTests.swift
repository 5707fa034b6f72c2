import TestSupport
import Testing

/// A web server in a Docker container, published with `-p 8080:80`: Docker's DNAT turns the
/// packets into forwarded ones. The README advises `hook: prerouting` for this case; these
/// tests back the advice with packets, for both hooks.
@Suite("Traffic: ports published by DNAT", .enabled(if: KernelTests.enabled))
struct TrafficPublishedPortTests {
  /// What `docker run -p 8080:80` amounts to, reduced to the one rule that matters here.
  static let publish = """
    table ip docker_nat {
      chain prerouting {
        type nat hook prerouting priority dstnat; policy accept;
        ip daddr \(Topology.Role.origin.ipv4) tcp dport 8080 dnat to \(Topology.Role.container.ipv4):80
      }
    }
    """

  @Test(.timeLimit(.minutes(2)))
  func preroutingHookGuardsThePublishedPort() async throws {
    try await withPublishedContainer(hook: "prerouting") { topology in
      var expected = ExpectedReach()
      expected.set(.connected, from: .cdn, ports: [80, 8080], to: [Topology.Role.origin.ipv4])
      expected.set(.dropped, from: .outsider, ports: [80, 8080], to: [Topology.Role.origin.ipv4])
      expected.set(.connected, from: .outsider, ports: [22], to: [Topology.Role.origin.ipv4])
      try await topology.expect(expected, "hook: prerouting")
    }
  }

  /// Documents the gap the README warns about: an `input` chain never sees the DNATed packets.
  @Test(.timeLimit(.minutes(2)))
  func inputHookDoesNotSeeThePublishedPort() async throws {
    try await withPublishedContainer(hook: "input") { topology in
      var expected = ExpectedReach()
      expected.set(.connected, from: .cdn, ports: [80, 8080], to: [Topology.Role.origin.ipv4])
      // The lock-down is in force for the origin's own port 80 ...
      expected.set(.dropped, from: .outsider, ports: [80], to: [Topology.Role.origin.ipv4])
      // ... but the published port is wide open.
      expected.set(.connected, from: .outsider, ports: [8080], to: [Topology.Role.origin.ipv4])
      try await topology.expect(expected, "hook: input lets the outsider reach the container")
    }
  }

  /// A container behind the origin with port 8080 published, a web server on the origin's own
  /// ports 80 and 22, and origin-guard guarding 80 and 8080 with `hook`, only `cdn` listed.
  private func withPublishedContainer(
    hook: String, _ body: (Topology) async throws -> Void
  ) async throws {
    try await withTopology([.cdn, .outsider, .container]) { topology in
      try await topology.startServer(in: .origin, ports: [80, 22])
      try await topology.startServer(in: .container, ports: [80])
      try await topology.run(
        in: .origin, ["nft", "-f", topology.writeFile("publish.nft", Self.publish)])

      var published = ExpectedReach()
      published.set(.connected, from: .outsider, ports: [8080], to: [Topology.Role.origin.ipv4])
      try await topology.expect(published, "published, before bootstrap")

      let origin = try GuardedOrigin(topology, .init(hook: hook, ports: [80, 8080]))
      try origin.writeList(GuardedOrigin.list(allowing: [.cdn]))
      let bootstrap = try await origin.run("bootstrap", "--yes")
      try #require(bootstrap.status == 0, "\(bootstrap.errorOutput)\(bootstrap.output)")
      try await body(topology)
    }
  }
}
