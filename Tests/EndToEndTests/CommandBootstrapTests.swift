import Foundation
import TestSupport
import Testing

/// `bootstrap` and `confirm`: the first lock-down, kept only when confirmed in time.
@Suite("origin-guard bootstrap and confirm in a namespace")
struct CommandBootstrapTests {
  static let earlier = ["203.0.113.0/24", "2001:db8:1::/48"]
  static let later = ["203.0.113.0/24", "198.51.100.0/24", "2001:db8:1::/48", "2001:db8:7::/64"]

  @Test(.enabled(if: KernelTests.enabled))
  func bootstrapYesLocksDownWithoutWaiting() async throws {
    try await withCommandSetup { setup in
      try setup.writeConfig()
      try setup.writeList(Self.later)
      let result = try setup.originGuard("bootstrap", "--yes")
      #expect(result.output.contains("The table does not exist yet: it will be created."))
      #expect(result.output.contains("Locked down: added 4, removed 0"))
      #expect(try setup.allowed() == Set(Self.later))
      try setup.originGuard("plan", "--detailed-exitcode", exits: 0)
    }
  }

  @Test(.enabled(if: KernelTests.enabled))
  func anUnconfirmedBootstrapRemovesTheTableItCreated() async throws {
    try await withCommandSetup { setup in
      try setup.writeConfig()
      try setup.writeList(Self.later)
      let before = try setup.rulesetContents()
      #expect(before.count == 0)

      let result = try setup.originGuard("bootstrap", "--confirm-timeout", "2", exits: 6)
      #expect(result.errorOutput.contains("rolled back"))
      #expect(try setup.rulesetContents() == before)
      // Nothing was kept as applied, so a plan starts from scratch again.
      let plan = try setup.planJSON()
      #expect(plan["table_exists"] as? Bool == false)
      #expect((plan["add"] as? [Any])?.count == 4)
    }
  }

  @Test(.enabled(if: KernelTests.enabled))
  func anUnconfirmedBootstrapRestoresTheEarlierTableAndState() async throws {
    try await withCommandSetup { setup in
      try setup.writeConfig()
      try setup.writeList(Self.earlier)
      try setup.originGuard("sync")
      let before = try setup.rulesetContents()
      let exportedBefore = try setup.originGuard("export", "--format", "json").output

      try setup.writeList(Self.later)
      try setup.originGuard("bootstrap", "--confirm-timeout", "2", exits: 6)
      #expect(try setup.rulesetContents() == before)
      #expect(try setup.allowed() == Set(Self.earlier))

      // The earlier saved state is back, lists included: the last-known-good lists still
      // read, and a sync from them changes nothing.
      let exportedAfter = try setup.originGuard("export", "--format", "json").output
      #expect(try prefixes(exportedAfter) == prefixes(exportedBefore))
      let status = try parseObject(setup.originGuard("status", "--json").output)
      #expect(status["matches_saved_state"] as? Bool == true)
      let fromCache = try setup.originGuard("sync", "--from-cache").output
      #expect(fromCache.contains("added 0, removed 0, unchanged 2 prefixes"))
    }
  }

  @Test(.enabled(if: KernelTests.enabled))
  func confirmFromASecondProcessKeepsTheLockDown() async throws {
    try await withCommandSetup { setup in
      try setup.writeConfig()
      try setup.writeList(Self.later)
      let bootstrap = try CommandProcess(
        setup.commandLine(["bootstrap", "--confirm-timeout", "90"]),
        logPrefix: setup.directory + "/bootstrap")
      defer { bootstrap.stop() }

      try waitUntil("bootstrap applies its plan") {
        guard bootstrap.isRunning else {
          throw SetupError("bootstrap exited early:\n\(bootstrap.output)\n\(bootstrap.errorOutput)")
        }
        return bootstrap.errorOutput.contains("Applied. Check that you can still reach this host")
      }
      #expect(try setup.allowed() == Set(Self.later))
      let confirm = try setup.originGuard("confirm")
      #expect(confirm.output.contains("Confirmed the bootstrap applied at"))

      let status = bootstrap.waitForExit(timeout: .seconds(15))
      #expect(status == 0, "bootstrap: \(bootstrap.output)\n\(bootstrap.errorOutput)")
      #expect(bootstrap.output.contains("Locked down: added 4"))
      #expect(try setup.allowed() == Set(Self.later))
      try setup.originGuard("plan", "--detailed-exitcode", exits: 0)
    }
  }

  private func prefixes(_ exportJSON: String) throws -> [String] {
    let object = try parseObject(exportJSON)
    return (object["prefixes"] as? [[String: Any]] ?? []).compactMap { $0["prefix"] as? String }
  }
}
