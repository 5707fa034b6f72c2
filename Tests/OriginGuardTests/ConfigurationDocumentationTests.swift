import Foundation
import Testing

@testable import OriginGuard

/// The examples in README.md load: the reference must not teach a key the loader
/// refuses.
@Suite("Configuration reference examples")
struct ConfigurationDocumentationTests {
  static func yamlBlocks() throws -> [String] {
    let docs = URL(fileURLWithPath: #filePath)
      .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("README.md")
    let text = try String(contentsOf: docs, encoding: .utf8)
    return text.components(separatedBy: "```yaml\n").dropFirst().map {
      String($0[..<($0.range(of: "```")?.lowerBound ?? $0.endIndex)])
    }
  }

  @Test func everyExampleLoads() throws {
    let blocks = try Self.yamlBlocks()
    #expect(blocks.count >= 8)
    for block in blocks {
      // Source fragments are list items; other fragments lack only `sources:`.
      let yaml =
        block.hasPrefix("  - ")
        ? "sources:\n" + block
        : block.contains("sources:") ? block : block + oneStaticSource
      #expect(configurationProblems(yaml) == [], "\(block)")
    }
  }
}
