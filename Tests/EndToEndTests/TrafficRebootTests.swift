import Foundation
import TestSupport
import Testing

/// A reboot empties the kernel's ruleset. At boot, before the network is up, `sync
/// --from-cache` restores the lock-down from the state directory alone.
@Suite("Traffic: reboot", .enabled(if: KernelTests.enabled))
struct TrafficRebootTests {
  @Test(.timeLimit(.minutes(2)))
  func syncFromCacheRestoresTheLockDown() async throws {
    let savedState = FileManager.default.temporaryDirectory
      .appendingPathComponent("og-tr-state-\(UInt64.random(in: 0...UInt64.max))").path
    defer { try? FileManager.default.removeItem(atPath: savedState) }

    try await withTopology([]) { beforeReboot in
      let origin = try GuardedOrigin(beforeReboot, .init(listServerPort: 8000))
      try origin.writeList(GuardedOrigin.list(allowing: [.cdn]))
      try await origin.startListServer(serving: "192.0.2.0/24\n2001:db8:2::/48\n")
      let sync = try await origin.run("sync")
      try #require(sync.status == 0, "\(sync.errorOutput)\(sync.output)")
      try await runDetached(["cp", "-a", origin.stateDirectory, savedState])
    }

    // A fresh origin namespace: an empty ruleset, no list file, nothing behind the url.
    try await withTopology([.cdn, .outsider]) { afterReboot in
      try await afterReboot.startServer(in: .origin, ports: [80, 443])
      let origin = try GuardedOrigin(
        afterReboot, .init(listServerPort: 8000), stateDirectory: savedState)
      #expect(!FileManager.default.fileExists(atPath: origin.listPath))

      var booted = ExpectedReach()
      booted.set(.connected, from: .cdn, ports: [80, 443])
      booted.set(.connected, from: .outsider, ports: [80, 443])
      booted.set(.refused, from: .origin, ports: [8000], to: ["127.0.0.1"])
      try await afterReboot.expect(booted, "after the reboot, before origin-guard")

      let sync = try await origin.run("sync", "--from-cache")
      try #require(sync.status == 0, "\(sync.errorOutput)\(sync.output)")

      var locked = ExpectedReach()
      locked.set(.connected, from: .cdn, ports: [80, 443])
      locked.set(.dropped, from: .outsider, ports: [80, 443])
      try await afterReboot.expect(locked, "after sync --from-cache")
    }
  }
}
