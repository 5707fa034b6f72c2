import Foundation
import TestSupport
import Testing

/// `teardown`, and that no command touches a table that is not ours.
@Suite("origin-guard teardown in a namespace")
struct CommandTeardownTests {
  static let neighbour = """
    table inet neighbour {
      set s { type ipv4_addr; elements = { 10.1.1.1 } }
      chain c { type filter hook input priority 0; policy accept; }
    }

    """

  @Test(.enabled(if: KernelTests.enabled))
  func noCommandTouchesANeighbourTable() async throws {
    try await withCommandSetup { setup in
      try setup.writeConfig()
      try setup.writeList(["203.0.113.0/24", "2001:db8:1::/48"])
      try setup.namespace.load(ruleset: Self.neighbour)
      let onlyNeighbour = try setup.ruleset()
      let neighbour = try setup.namespace.nft("list", "table", "inet", "neighbour").output
      #expect(onlyNeighbour.contains("10.1.1.1"))

      func expectNeighbourUntouched(after command: String) throws {
        let now = try setup.namespace.nft("list", "table", "inet", "neighbour").output
        #expect(now == neighbour, "after \(command)")
      }
      let commands: [(arguments: [String], status: Int32)] = [
        (["plan", "--detailed-exitcode"], 2), (["sync"], 0), (["bootstrap", "--yes"], 0),
        (["status"], 0),
        (["check", "203.0.113.1"], 0), (["check", "10.1.1.1"], 7),
        (["export", "--format", "nft"], 0),
        (["sync", "--from-cache"], 0),
      ]
      for (arguments, status) in commands {
        let result = try run(setup.commandLine(arguments), check: false)
        #expect(result.status == status, "\(arguments): \(result.errorOutput)")
        try expectNeighbourUntouched(after: arguments.joined(separator: " "))
      }
      try setup.writeList(["198.51.100.0/24", "2001:db8:1::/48"])
      try setup.originGuard("sync", "--force")
      try expectNeighbourUntouched(after: "sync of a changed list")
      try setup.originGuard("bootstrap", "--confirm-timeout", "1", exits: 0)  // in sync: nothing to confirm
      try expectNeighbourUntouched(after: "bootstrap in sync")

      try setup.originGuard("teardown")
      #expect(try setup.ruleset() == onlyNeighbour)
      #expect(try setup.tables() == ["inet neighbour"])
    }
  }

  @Test(.enabled(if: KernelTests.enabled))
  func teardownKeepsTheStateAndPurgeStateForgetsIt() async throws {
    try await withCommandSetup { setup in
      try setup.writeConfig()
      try setup.writeList(["203.0.113.0/24"])
      try setup.originGuard("sync")

      let removed = try setup.originGuard("teardown").output
      #expect(removed.contains("Removed table inet origin_guard"))
      #expect(try setup.tables().isEmpty)
      // The last-known-good list survives: the lock-down comes back without the source.
      try setup.removeList()
      try setup.originGuard("sync", "--from-cache")
      #expect(try setup.allowed() == ["203.0.113.0/24"])

      try setup.originGuard("teardown", "--purge-state")
      #expect(try setup.tables().isEmpty)
      let left = try FileManager.default.contentsOfDirectory(atPath: setup.stateDirectory)
      #expect(left.filter { $0 != "lock" }.isEmpty, "left in the state directory: \(left)")
      let fromCache = try setup.originGuard("sync", "--from-cache", exits: 5)
      #expect(fromCache.errorOutput.contains("has no last-known-good list"))
      #expect(try setup.tables().isEmpty)

      // Tearing down what is not there is not an error.
      try setup.originGuard("teardown")
    }
  }
}
