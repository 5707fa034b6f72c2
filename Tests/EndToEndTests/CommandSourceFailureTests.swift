import Foundation
import TestSupport
import Testing

/// A failed source: exit 5 with nothing to stand in, its last-known-good list otherwise.
@Suite("origin-guard source failures in a namespace")
struct CommandSourceFailureTests {
  static let list = ["203.0.113.0/24", "198.51.100.7/32", "2001:db8:1::/48"]

  @Test(.enabled(if: KernelTests.enabled))
  func aMissingFileOnTheFirstSyncExitsFiveAndCreatesNothing() async throws {
    try await withCommandSetup { setup in
      try setup.writeConfig()
      let result = try setup.originGuard("sync", exits: 5)
      #expect(result.errorOutput.contains("the kernel was not changed because sources failed"))
      #expect(result.errorOutput.contains(setup.listPath))
      #expect(result.errorOutput.contains("no last-known-good list"))
      #expect(try setup.tables().isEmpty)
      let metrics = try String(contentsOfFile: setup.metricsPath, encoding: .utf8)
      #expect(metrics.contains("origin_guard_last_attempt_result{result=\"source_failed\"} 1"))
      #expect(metrics.contains("origin_guard_source_up{source=\"list\"} 0"))
    }
  }

  @Test(.enabled(if: KernelTests.enabled))
  func aFileRemovedAfterAGoodSyncIsReplacedByItsLastKnownGoodList() async throws {
    try await withCommandSetup { setup in
      try setup.writeConfig()
      try setup.writeList(Self.list)
      try setup.originGuard("sync")
      let before = try setup.rulesetContents()

      try setup.removeList()
      let result = try setup.originGuard("sync")
      #expect(result.errorOutput.contains("using the last-known-good list of source list"))
      #expect(result.errorOutput.contains(setup.listPath))
      #expect(result.output.contains("added 0, removed 0, unchanged 3 prefixes"))
      #expect(result.output.contains("list=cache ("))
      #expect(try setup.rulesetContents() == before)
      let metrics = try String(contentsOfFile: setup.metricsPath, encoding: .utf8)
      #expect(metrics.contains("origin_guard_source_using_cache{source=\"list\"} 1"))
      #expect(metrics.contains("origin_guard_source_cache_fallbacks_total{source=\"list\"} 1"))
      #expect(metrics.contains("origin_guard_source_errors_total{source=\"list\"} 1"))
    }
  }

  @Test(.enabled(if: KernelTests.enabled))
  func syncFromCacheRestoresTheLockDownInAFreshNamespace() async throws {
    try await withCommandSetup { setup in
      try setup.writeConfig()
      try setup.writeList(Self.list)
      try setup.originGuard("sync")
      let structure = try setup.ruleset()
      try setup.removeList()

      // A reboot: a new network namespace with nothing in it, only the state directory.
      try await withThrowawayNamespace { namespace in
        let rebooted = setup.moved(to: namespace)
        #expect(try rebooted.tables().isEmpty)
        let result = try rebooted.originGuard("sync", "--from-cache")
        #expect(result.output.contains("added 3, removed 0, unchanged 0 prefixes, created the table"))
        #expect(try rebooted.allowed() == Set(Self.list))
        #expect(try rebooted.ruleset() == structure)
        try rebooted.originGuard("plan", "--from-cache", "--detailed-exitcode", exits: 0)
      }
    }
  }
}
