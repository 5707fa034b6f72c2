import Foundation
import TestSupport
import Testing

/// `plan` and `sync` run as the real executable in a namespace, checked with `nft`.
@Suite("origin-guard plan and sync in a namespace")
struct CommandPlanSyncTests {
  /// Non-touching prefixes of both families; the list file puts prefix i on line i + 2.
  static let initial = [
    "203.0.113.0/24", "198.51.100.7/32", "192.0.2.128/25", "2001:db8:1::/48", "2001:db8:2::5/128",
  ]

  @Test(.enabled(if: KernelTests.enabled))
  func planPrintsEveryPrefixWithItsFileLineBeforeTheFirstSync() async throws {
    try await withCommandSetup { setup in
      try setup.writeConfig()
      try setup.writeList(Self.initial)

      let text = try setup.originGuard("plan").output
      #expect(text.contains("The table does not exist yet: it will be created."))
      #expect(text.contains("Add 5 prefixes:"))
      for (index, prefix) in Self.initial.enumerated() {
        let row = text.split(separator: "\n").first { $0.contains("+ \(prefix) ") }
        #expect(
          row?.hasSuffix("source list, file \(setup.listPath) line \(index + 2)") == true,
          "row of \(prefix): \(row ?? "missing")")
      }
      #expect(text.contains("desired 5 prefixes (IPv4 3, IPv6 2)"))
      #expect(text.contains("Not applied (plan only)."))

      let json = try setup.planJSON()
      #expect(json["table"] as? String == "origin_guard")
      #expect(json["table_exists"] as? Bool == false)
      #expect(json["in_sync"] as? Bool == false)
      #expect(json["applied"] as? Bool == false)
      let add = try #require(json["add"] as? [[String: Any]])
      #expect(Set(add.compactMap { $0["prefix"] as? String }) == Set(Self.initial))
      let first = try #require(add.first { $0["prefix"] as? String == "203.0.113.0/24" })
      let provenance = try #require(first["provenance"] as? [[String: Any]])
      #expect(provenance.first?["source"] as? String == "list")
      #expect(provenance.first?["origin"] as? String == "file \(setup.listPath) line 2")
      let counts = try #require(json["counts"] as? [String: Any])
      #expect(counts["add"] as? Int == 5)
      #expect(counts["remove"] as? Int == 0)
      #expect(counts["desired_ipv4"] as? Int == 3)
      #expect(counts["desired_ipv6"] as? Int == 2)

      try setup.originGuard("plan", "--detailed-exitcode", exits: 2)
      #expect(try setup.tables().isEmpty, "plan must not touch the kernel")
      try setup.originGuard("sync")
      try setup.originGuard("plan", "--detailed-exitcode", exits: 0)
    }
  }

  @Test(.enabled(if: KernelTests.enabled))
  func syncCreatesTheTableThatREADMEShowsWithExactlyTheListedPrefixes() async throws {
    try await withCommandSetup { setup in
      try setup.writeConfig()
      try setup.writeList(Self.initial)

      let summary = try setup.originGuard("sync").output
      #expect(summary.contains("added 5, removed 0, unchanged 0 prefixes, created the table"))

      #expect(try setup.tables() == ["inet origin_guard"])
      #expect(
        try setup.elements(of: "allowed_v4") == [
          "203.0.113.0/24", "198.51.100.7/32", "192.0.2.128/25",
        ])
      #expect(try setup.elements(of: "allowed_v6") == ["2001:db8:1::/48", "2001:db8:2::5/128"])
      let items = try setup.namespace.nftJSON("list", "ruleset")
      let chains = items.compactMap { $0["chain"] as? [String: Any] }
      let input = try #require(chains.first { $0["name"] as? String == "input" })
      #expect(input["hook"] as? String == "input")
      #expect(input["prio"] as? Int == -10)
      #expect(input["policy"] as? String == "accept")
      #expect(input["type"] as? String == "filter")
      #expect(chains.contains { $0["name"] as? String == "guard" && $0["hook"] == nil })
      let rules = items.compactMap { $0["rule"] as? [String: Any] }
      #expect(rules.filter { $0["chain"] as? String == "input" }.count == 1)
      #expect(rules.filter { $0["chain"] as? String == "guard" }.count == 5)
      let sets = items.compactMap { $0["set"] as? [String: Any] }
      for (name, type) in [("allowed_v4", "ipv4_addr"), ("allowed_v6", "ipv6_addr")] {
        let set = try #require(sets.first { $0["name"] as? String == name })
        #expect(set["type"] as? String == type)
        #expect(set["flags"] as? [String] == ["interval"])
      }

      // The README's listing, line by line, around the elements.
      let lines = try setup.ruleset().split(separator: "\n").map(String.init)
      var remaining = lines[...]
      for expected in defaultStructure {
        guard let index = remaining.firstIndex(of: expected) else {
          Issue.record("missing or out of order: \(expected)\n\(lines.joined(separator: "\n"))")
          break
        }
        remaining = remaining[(index + 1)...]
      }
    }
  }

  @Test(.enabled(if: KernelTests.enabled))
  func aSecondSyncChangesNothing() async throws {
    try await withCommandSetup { setup in
      try setup.writeConfig()
      try setup.writeList(Self.initial)
      try setup.originGuard("sync")
      let before = try setup.ruleset()
      let planBefore = try setup.planJSON()
      #expect(planBefore["in_sync"] as? Bool == true)
      #expect(planBefore["basis"] as? String == "saved-state")

      let summary = try setup.originGuard("sync").output
      #expect(summary.contains("added 0, removed 0, unchanged 5 prefixes"))
      #expect(try setup.ruleset() == before)
      let planAfter = try setup.planJSON()
      #expect(planAfter["in_sync"] as? Bool == true)
      #expect(planAfter["generation"] as? Int == planBefore["generation"] as? Int)
      #expect((planAfter["add"] as? [Any])?.isEmpty == true)
      #expect((planAfter["remove"] as? [Any])?.isEmpty == true)
    }
  }

  @Test(.enabled(if: KernelTests.enabled))
  func aChangedFileAddsAndRemovesExactlyTheDifference() async throws {
    try await withCommandSetup { setup in
      try setup.writeConfig()
      try setup.writeList(Self.initial)
      try setup.originGuard("sync")

      // Drop one IPv4 and one IPv6 prefix, add one of each.
      let changed = [
        "203.0.113.0/24", "192.0.2.128/25", "100.64.7.0/24", "2001:db8:1::/48", "2001:db8:9::/64",
      ]
      try setup.writeList(changed)
      let plan = try setup.planJSON()
      let added = (plan["add"] as? [[String: Any]] ?? []).compactMap { $0["prefix"] as? String }
      let removed = (plan["remove"] as? [[String: Any]] ?? []).compactMap {
        $0["prefix"] as? String
      }
      #expect(Set(added) == ["100.64.7.0/24", "2001:db8:9::/64"])
      #expect(Set(removed) == ["198.51.100.7/32", "2001:db8:2::5/128"])
      // A removed prefix is traced to where the last sync found it.
      let gone = try #require(
        (plan["remove"] as? [[String: Any]])?.first { $0["prefix"] as? String == "198.51.100.7/32" }
      )
      let provenance = gone["provenance"] as? [[String: Any]]
      #expect(provenance?.first?["origin"] as? String == "file \(setup.listPath) line 3")

      let summary = try setup.originGuard("sync").output
      #expect(summary.contains("added 2, removed 2, unchanged 3 prefixes"))
      #expect(try setup.allowed() == Set(changed))
      try setup.originGuard("plan", "--detailed-exitcode", exits: 0)
    }
  }

  /// A list saved by a Windows editor: CRLF line ends, a byte order mark, a comment.
  @Test(.enabled(if: KernelTests.enabled))
  func aFileWithCRLFLineEndsIsReadLineByLine() async throws {
    try await withCommandSetup { setup in
      try setup.writeConfig()
      let text =
        "\u{FEFF}# edited on Windows\r\n203.0.113.0/24\r\n\r\n2001:db8:1::/48  # office\r\n"
      try Data(text.utf8).write(to: URL(fileURLWithPath: setup.listPath))

      let plan = try setup.planJSON()
      let added = (plan["add"] as? [[String: Any]] ?? []).map { change in
        (
          change["prefix"] as? String ?? "",
          (change["provenance"] as? [[String: Any]])?.first?["origin"] as? String ?? ""
        )
      }
      #expect(added.map(\.0) == ["203.0.113.0/24", "2001:db8:1::/48"])
      #expect(added.map(\.1) == ["file \(setup.listPath) line 2", "file \(setup.listPath) line 4"])
      try setup.originGuard("sync")
      #expect(try setup.allowed() == ["203.0.113.0/24", "2001:db8:1::/48"])
    }
  }
}
