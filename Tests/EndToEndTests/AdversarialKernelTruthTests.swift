import Foundation
import TestSupport
import Testing

/// Someone else edits the kernel, or the operator edits the configuration, and the built
/// binary must tell the two apart: an element nobody applied is drift to remove (never a
/// shrink to refuse), a changed `ports`/`hook` is a configuration change (never drift), our
/// own teardown is ours, and a table left behind by a rename is reported, never touched.
@Suite("Adversarial: kernel truth", .enabled(if: KernelTests.enabled))
struct AdversarialKernelTruthTests {
  static let list = ["203.0.113.0/24", "2001:db8:1::/48"]

  /// The value of `origin_guard_<name>` in the metrics file.
  private func metric(_ setup: CommandSetup, _ name: String) throws -> Double? {
    let text = try String(contentsOfFile: setup.metricsPath, encoding: .utf8)
    let line = text.split(separator: "\n").first { $0.hasPrefix("origin_guard_\(name) ") }
    return line.flatMap { Double($0.split(separator: " ").last ?? "") }
  }

  @Test func aForeignElementIsRemovedAsDriftAndDoesNotBlockTheNextNode() async throws {
    try await withCommandSetup { setup in
      try setup.writeConfig()
      try setup.writeList(Self.list)
      try setup.originGuard("sync")
      try setup.namespace.nft(
        "add", "element", "inet", "origin_guard", "allowed_v4", "{ 10.0.0.0/8 }")

      let check = try setup.originGuard("check", "10.1.2.3").output
      #expect(check.contains("by the kernel only"), "\(check)")
      #expect(check.contains("Someone else added that element"), "\(check)")
      let status = try setup.originGuard("status").output
      #expect(
        status.contains("NO — someone changed the set: 1 prefix nobody applied (10.0.0.0/8)"),
        "\(status)")
      let json = try parseObject(setup.originGuard("check", "10.1.2.3", "--json").output)
      #expect(json["foreign"] as? Bool == true)
      #expect(json["applied_by_origin_guard"] as? Bool == false)

      // The CDN adds a node: it must reach the kernel, and the /8 must go.
      try setup.writeList(Self.list + ["198.51.100.0/24"])
      let sync = try setup.originGuard("sync")
      #expect(
        sync.output.contains("removed 1 prefix nobody applied: 10.0.0.0/8 (drift)"),
        "\(sync.output)\(sync.errorOutput)")
      #expect(try setup.allowed() == Set(Self.list + ["198.51.100.0/24"]))
      #expect(try metric(setup, "drift_repairs_total{trigger=\"cycle\"}") == 1)
      try setup.originGuard("check", "198.51.100.7")
      try setup.originGuard("check", "10.1.2.3", exits: 7)
      // Every later sync goes through.
      try setup.originGuard("sync")
      #expect(try metric(setup, "drift_repairs_total{trigger=\"cycle\"}") == 1)
    }
  }

  @Test func changedPortsAndHookAreConfigurationChangesNotDrift() async throws {
    try await withCommandSetup { setup in
      try setup.writeConfig()
      try setup.writeList(Self.list)
      try setup.originGuard("sync")

      try setup.writeConfig(extra: "ports: [80, 443, 8443]")
      let status = try setup.originGuard("status").output
      #expect(!status.contains("DRIFT"), "\(status)")
      #expect(status.contains("the configuration changed: ports 80,443 → 80,443,8443"), "\(status)")
      let plan = try setup.originGuard("plan", "--detailed-exitcode", exits: 2).output
      #expect(!plan.contains("drift"), "\(plan)")
      let sync = try setup.originGuard("sync").output
      #expect(
        sync.contains("the configuration changed: ports 80,443 → 80,443,8443; rules updated"),
        "\(sync)")
      #expect(!sync.contains("drift"), "\(sync)")
      #expect(try setup.ruleset().contains("tcp dport { 80, 443, 8443 } jump guard"))

      try setup.writeConfig(extra: "ports: [80, 443, 8443]\nhook: prerouting")
      let hook = try setup.originGuard("sync").output
      #expect(hook.contains("hook input → prerouting"), "\(hook)")
      #expect(try metric(setup, "drift_repairs_total{trigger=\"cycle\"}") == 0)

      // Someone else's rule in our chain is still drift.
      try setup.namespace.nft("insert", "rule", "inet", "origin_guard", "guard", "accept")
      let repair = try setup.originGuard("sync").output
      #expect(repair.contains("repaired 1 drift(s)"), "\(repair)")
      #expect(try metric(setup, "drift_repairs_total{trigger=\"cycle\"}") == 1)
    }
  }

  @Test func teardownSaysWhatItDidAndStatusKnowsItWasUs() async throws {
    try await withCommandSetup { setup in
      try setup.writeConfig()
      try setup.writeList(Self.list)
      let nothing = try setup.originGuard("teardown").output
      #expect(nothing.contains("Nothing to remove: table inet origin_guard does not exist"))
      #expect(!nothing.contains("Removed"))

      try setup.originGuard("sync")
      #expect(try setup.originGuard("teardown").output.contains("Removed table inet origin_guard"))
      let status = try setup.originGuard("status").output
      #expect(status.contains("removed by origin-guard teardown at"), "\(status)")
      #expect(!status.contains("someone changed"), "\(status)")
      #expect(try setup.originGuard("teardown").output.contains("Nothing to remove"))

      // Putting it back is not a drift repair either.
      try setup.originGuard("sync")
      #expect(try metric(setup, "drift_repairs_total{trigger=\"cycle\"}") == 0)
    }
  }

  @Test func aTableNameThatIsSomeoneElsesIsRefusedNotReplaced() async throws {
    try await withCommandSetup { setup in
      try setup.namespace.load(
        ruleset: """
          table inet neighbour {
            set s { type ipv4_addr; elements = { 10.1.1.1 }; }
            chain c { type filter hook input priority 0; policy accept; }
          }

          """)
      let neighbour = try setup.namespace.nft("list", "table", "inet", "neighbour").output
      try setup.writeConfig(extra: "table: neighbour")
      try setup.writeList(Self.list)

      let sync = try setup.originGuard("sync", exits: 3)
      #expect(sync.errorOutput.contains("table inet neighbour exists and holds set s, chain c"))
      try setup.originGuard("sync", "--force", exits: 3)
      try setup.originGuard("plan", exits: 3)
      #expect(try setup.namespace.nft("list", "table", "inet", "neighbour").output == neighbour)
    }
  }

  @Test func aRenamedTableIsReportedAndNeverTouched() async throws {
    try await withCommandSetup { setup in
      try setup.writeConfig()
      try setup.writeList(Self.list)
      try setup.originGuard("sync")
      let old = try setup.namespace.nft("list", "table", "inet", "origin_guard").output

      try setup.writeConfig(extra: "table: web_guard")
      let warning =
        "table inet origin_guard, which origin-guard installed before `table:` became web_guard"
      let sync = try setup.originGuard("sync")
      #expect(sync.errorOutput.contains(warning), "\(sync.errorOutput)")
      #expect(sync.output.contains("WARNING: table inet origin_guard"), "\(sync.output)")
      #expect(try Set(setup.tables()) == ["inet origin_guard", "inet web_guard"])
      #expect(try setup.namespace.nft("list", "table", "inet", "origin_guard").output == old)
      #expect(try metric(setup, "drift_repairs_total{trigger=\"cycle\"}") == 0)

      // Still said on the next run and in status, until the operator removes it.
      #expect(try setup.originGuard("sync").errorOutput.contains(warning))
      let status = try setup.originGuard("status").output
      #expect(status.contains("nft delete table inet origin_guard"), "\(status)")
      try setup.namespace.nft("delete", "table", "inet", "origin_guard")
      #expect(!(try setup.originGuard("sync").errorOutput.contains(warning)))
      #expect(!(try setup.originGuard("status").output.contains("WARNING")))
    }
  }
}
