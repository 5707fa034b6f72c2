import Foundation
import TestSupport
import Testing

/// Product bugs the reliability work found, each pinned with the real binary.
@Suite("Reliability: regressions", .enabled(if: KernelTests.enabled))
struct ReliabilityRegressionTests {
  /// Found by the list-parsers fuzz target: "\r\n" is one Character in Swift, so splitting a
  /// list on "\n" kept CRLF files as one line and the whole source failed.
  @Test func listWithCRLFLineEndingsIsRead() async throws {
    try await GuardSandbox.with { sandbox in
      try sandbox.write("allow.txt", "192.0.2.0/24\r\n198.51.100.0/24 # edge\r\n# comment\r\n")
      try sandbox.writeConfiguration(
        sources: """
            - name: fleet
              type: file
              path: \(sandbox.directory)/allow.txt
          """)
      let sync = try sandbox.originGuard("sync")
      #expect(sync.status == 0, "\(sync.errorOutput)")
      #expect(try sandbox.kernelElements(set: "allowed_v4") == ["192.0.2.0/24", "198.51.100.0/24"])
    }
  }
}
