import Foundation
import TestSupport
import Testing

@Suite("The origin-guard executable")
struct BinaryTests {
  @Test func printsVersionAndHelp() throws {
    let version = try run([OriginGuardBinary.path, "--version"])
    let lines = version.output.split(separator: "\n")
    #expect(lines.first == "0.1.0", "the first line is the release alone, for scripts")
    #expect(lines.contains { $0.hasPrefix("commit: ") }, "\(version.output)")
    // The test build links libnftnl dynamically: the library file it runs with is named.
    #expect(
      lines.contains { $0.hasPrefix("libnftnl: libnftnl.so.11") && $0.contains("loaded from /") },
      "\(version.output)")
    let help = try run([OriginGuardBinary.path, "--help"])
    for command in [
      "plan", "sync", "bootstrap", "confirm", "run", "status", "check", "export", "teardown",
      "validate",
    ] {
      #expect(help.output.contains("  \(command)"), "\(command) missing from --help")
    }
    #expect(help.output.contains("Exit codes"))
  }
}
