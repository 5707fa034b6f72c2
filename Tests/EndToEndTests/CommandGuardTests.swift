import Foundation
import TestSupport
import Testing

/// A list that shrinks too much is refused with exit 3 and changes nothing; `--force` applies it.
@Suite("origin-guard guards in a namespace")
struct CommandGuardTests {
  static let ten = (1...10).map { "198.51.\($0 * 2).0/24" }

  @Test(.enabled(if: KernelTests.enabled))
  func aListThatShrinksByNinetyPercentIsRefusedUntilForced() async throws {
    try await withCommandSetup { setup in
      try setup.writeConfig()
      try setup.writeList(Self.ten)
      try setup.originGuard("sync")
      let before = try setup.rulesetContents()

      try setup.writeList([Self.ten[0]])
      let refused = try setup.originGuard("sync", exits: 3)
      #expect(refused.errorOutput.contains("refused, the kernel was not changed"))
      #expect(refused.errorOutput.contains("max_shrink_percent"))
      #expect(refused.errorOutput.contains("The refused change was: 0 to add, 9 to remove."))
      #expect(try setup.rulesetContents() == before)
      try setup.originGuard("plan", "--detailed-exitcode", exits: 3)
      #expect(try setup.rulesetContents() == before)
      let metrics = try String(contentsOfFile: setup.metricsPath, encoding: .utf8)
      #expect(metrics.contains("origin_guard_guard_refusals_total{guard=\"max_shrink_percent\"} 1"))
      #expect(metrics.contains("origin_guard_last_attempt_result{result=\"refused\"} 1"))

      let forced = try setup.originGuard("sync", "--force")
      #expect(forced.output.contains("removed 9"))
      #expect(forced.output.contains("forced past max_shrink_percent"))
      #expect(try setup.allowed() == [Self.ten[0]])
    }
  }
}
