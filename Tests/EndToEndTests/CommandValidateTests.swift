import Foundation
import TestSupport
import Testing

/// `validate`: a configuration checked without touching the kernel or the network.
@Suite("origin-guard validate")
struct CommandValidateTests {
  @Test(.enabled(if: KernelTests.enabled))
  func aBadConfigurationExitsOneNamingEveryProblemWithFileAndLine() async throws {
    try await withCommandSetup { setup in
      try setup.writeConfig(extra: "prots: [80]\nguards:\n  max_shrink_percent: 130\n")
      let result = try setup.originGuard("validate", exits: 1)
      #expect(result.errorOutput.contains("\(setup.configPath): 2 problems; nothing was changed:"))
      let lines = result.errorOutput.split(separator: "\n")
      #expect(
        lines.contains {
          $0.hasPrefix("\(setup.configPath):7: prots: unknown key; did you mean \"ports\"?")
        },
        "\(result.errorOutput)")
      #expect(
        lines.contains { $0.hasPrefix("\(setup.configPath):9: guards.max_shrink_percent: ") },
        "\(result.errorOutput)")
      #expect(result.output.isEmpty)
      // Every other command refuses the same file the same way, before touching anything.
      let sync = try setup.originGuard("sync", exits: 1)
      #expect(sync.errorOutput.contains("\(setup.configPath):7: prots: unknown key"))
      #expect(try setup.tables().isEmpty)
    }
  }

  @Test(.enabled(if: KernelTests.enabled))
  func aGoodConfigurationIsSummarised() async throws {
    try await withCommandSetup { setup in
      try setup.writeConfig()
      let result = try setup.originGuard("validate")
      #expect(result.output.hasPrefix("\(setup.configPath): OK\n"))
      #expect(result.output.contains("list"))
      #expect(try setup.tables().isEmpty)
      #expect(!FileManager.default.fileExists(atPath: setup.stateDirectory))
    }
  }
}
