import Foundation
import TestSupport
import Testing

/// Every fuzz target, a few seconds each, with the mutation driver built into the ordinary
/// debug build: what `scripts/fuzz 3` does, from the test suite so that CI runs it. The inputs
/// that once crashed a target (Fuzz/regressions) are replayed first.
@Suite("Reliability: fuzzing")
struct ReliabilityFuzzTests {
  static let targets = [
    "address-parser", "configuration", "list-parsers", "source-answers", "netlink-dump",
  ]

  @Test func everyTargetRunsWithoutAFinding() throws {
    let binaries = try Self.fuzzBinaries()
    let script = ReliabilitySecretTests.repositoryRoot.appendingPathComponent("scripts/fuzz").path
    let result = try run([script, "--bin-dir", binaries, "3"], check: false)
    #expect(result.status == 0, "\(result.output)\(result.errorOutput)")
    for target in Self.targets {
      let line = result.output.split(separator: "\n").first { $0.hasPrefix(target + " ") }
      #expect(line?.hasSuffix(" ok") == true, "\(target): \(line ?? "missing")")
    }
    print(result.output)
  }

  /// The directory this test runs from (`.build/debug` and up): the fuzz targets are built
  /// beside the test bundle, whatever binary ORIGIN_GUARD_BIN points the other tests at.
  static func fuzzBinaries() throws -> String {
    var directory = URL(
      fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
    while directory.path != "/" {
      directory.deleteLastPathComponent()
      if FileManager.default.fileExists(atPath: directory.path + "/FuzzAddressParser") {
        return directory.path
      }
    }
    throw ServerError("no fuzz targets beside the test bundle; run swift build --build-tests")
  }
}
