import Foundation
import TestSupport
import Testing

/// deploy/examples/fleet-host.yaml against what a publishing host really serves: the JSON of
/// `origin-guard export --format json --fresh`, read back through the url source and
/// `select: prefixes[].prefix`. The HTTP server needs a loopback of its own: a namespace.
@Suite("Fleet example", .enabled(if: KernelTests.enabled))
struct DeployFleetTests {
  @Test func aFleetHostReadsThePublishersExport() async throws {
    try await withThrowawayNamespace { namespace in
      try await Deploy.withScratchDirectory { scratch in
        try FileManager.default.createDirectory(
          atPath: "\(scratch)/www", withIntermediateDirectories: false)
        let publisher = """
          sources:
            - name: cdn
              type: static
              addresses: [203.0.113.0/24, 198.51.100.7, "2001:db8:1::/48"]
          state_dir: \(scratch)/publisher
          """
        try Deploy.write(publisher, to: "\(scratch)/publisher.yaml")
        let published = try run([
          OriginGuardBinary.path, "export", "--format", "json", "--fresh", "-c",
          "\(scratch)/publisher.yaml",
        ]).output
        try Deploy.write(published, to: "\(scratch)/www/origin.json", mode: 0o644)

        let fleetHost = try Deploy.text("deploy/examples/fleet-host.yaml")
          .replacingOccurrences(
            of: "https://lists.example.com/origin-guard/origin.json",
            with: "http://127.0.0.1:8080/origin.json"
          )
          .replacingOccurrences(
            of: "metrics_file: /var/lib/prometheus/node-exporter/origin_guard.prom",
            with: "state_dir: \(scratch)/fleet-host")
        #expect(fleetHost.contains("http://127.0.0.1:8080/origin.json"))
        try Deploy.write(fleetHost, to: "\(scratch)/fleet-host.yaml")
        let script =
          Deploy.serveHTTP("\(scratch)/www")
          + "\n'\(OriginGuardBinary.path)' export --format text --fresh -c '\(scratch)/fleet-host.yaml'\n"
        let result = try namespace.run(["bash", "-c", script], check: false)
        #expect(result.status == 0, "\(result.errorOutput)")
        let prefixes = result.output.split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(Set(prefixes) == ["203.0.113.0/24", "198.51.100.7/32", "2001:db8:1::/48"])
      }
    }
  }
}
