import Foundation
import TestSupport
import Testing

/// A CDN rotates its back-to-origin nodes: `sync` lets the new node in and the old one out,
/// and a connection the old node already has keeps flowing both ways (`accept_established`),
/// so requests in flight during the update are not cut.
@Suite("Traffic: node rotation", .enabled(if: KernelTests.enabled))
struct TrafficRotationTests {
  /// What `stream.py` saw after the sync.
  struct StreamReport: Decodable {
    var ticks: Int
    var echoes: Int
    var receivedUntil: Double
    var closed: Bool
    var error: String?
  }

  @Test(.timeLimit(.minutes(2)))
  func syncSwapsNodesAndKeepsEstablishedConnections() async throws {
    try await withTopology([.cdn, .cdn2]) { topology in
      try await topology.startServer(in: .origin, ports: [80, 443])
      let origin = try GuardedOrigin(topology)
      try origin.writeList(GuardedOrigin.list(allowing: [.cdn]))
      let bootstrap = try await origin.run("bootstrap", "--yes")
      try #require(bootstrap.status == 0, "\(bootstrap.errorOutput)\(bootstrap.output)")

      var before = ExpectedReach()
      before.set(.connected, from: .cdn, ports: [80, 443])
      before.set(.dropped, from: .cdn2, ports: [80, 443])
      try await topology.expect(before, "before the rotation")

      // One long-lived connection per family from the node that is about to leave.
      let go = topology.path("synced")
      let streams = try Topology.Role.origin.addresses.enumerated().map { index, address in
        let ready = topology.path("stream-\(index).ready")
        let stream = try topology.start(
          "stream-\(index)", in: .cdn,
          [
            TrafficProgram.python, topology.path(TrafficProgram.stream.fileName), address, "80",
            ready, go, "1.5",
          ])
        return (stream, ready)
      }
      for (stream, ready) in streams {
        try await stream.waitForFile(ready)
      }

      try origin.writeList(GuardedOrigin.list(allowing: [.cdn2]))
      let sync = try await origin.run("sync", "--verbose")
      try #require(sync.status == 0, "\(sync.errorOutput)\(sync.output)")
      #expect(sync.output.contains("+ \(Topology.Role.cdn2.ipv4)/32"), "\(sync.output)")
      #expect(sync.output.contains("- \(Topology.Role.cdn.ipv4)/32"), "\(sync.output)")
      try Data().write(to: URL(fileURLWithPath: go))

      for (index, (stream, _)) in streams.enumerated() {
        let output = try await stream.waitForExit()
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let report = try decoder.decode(StreamReport.self, from: Data(output.utf8))
        let label = "established connection \(index) after the sync: \(output)"
        #expect(report.error == nil && !report.closed, "\(label)")
        // 1.5 s at one byte per 100 ms in each direction: about 15 of each.
        #expect(report.ticks >= 8, "\(label)")
        #expect(report.echoes >= 8, "the node's packets still pass: \(label)")
        #expect(report.receivedUntil >= 1.0, "\(label)")
      }

      var after = ExpectedReach()
      after.set(.dropped, from: .cdn, ports: [80, 443])
      after.set(.connected, from: .cdn2, ports: [80, 443])
      try await topology.expect(after, "after the rotation")
    }
  }

}
