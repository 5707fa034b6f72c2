import Foundation
import Testing
import TestSupport

@Suite("The origin-guard executable")
struct BinaryTests {
  @Test func printsVersionAndHelp() throws {
    let version = try run([OriginGuardBinary.path, "--version"])
    #expect(version.output.trimmingCharacters(in: .whitespacesAndNewlines) == "0.1.0")
    let help = try run([OriginGuardBinary.path, "--help"])
    for command in ["plan", "sync", "bootstrap", "confirm", "run", "status", "check", "export", "teardown", "validate"] {
      #expect(help.output.contains("  \(command)"), "\(command) missing from --help")
    }
    #expect(help.output.contains("Exit codes"))
  }
}
