import Foundation
import TestSupport
import Testing

/// `status`: what the kernel holds, whether it matches the last sync, how the sources fare.
@Suite("origin-guard status in a namespace")
struct CommandStatusTests {
  static let list = ["203.0.113.0/24", "198.51.100.7/32", "2001:db8:1::/48"]

  @Test(.enabled(if: KernelTests.enabled))
  func reportsTheTableCountsAndSourcesAfterASync() async throws {
    try await withCommandSetup { setup in
      try setup.writeConfig()
      try setup.writeList(Self.list)
      try setup.originGuard("sync")

      let text = try setup.originGuard("status").output
      #expect(text.contains("table inet origin_guard: present, generation "))
      #expect(text.contains("IPv4: 2 prefixes (2 ranges); IPv6: 1 prefixes (1 ranges)"))
      #expect(text.contains("dropped: 0 packets, 0 bytes"))
      #expect(text.contains("matches the last sync's list: yes (generation unchanged)"))
      #expect(text.contains("last attempt: ") && text.contains(": success"))
      #expect(
        text.contains("  list (file): last good list ")
          && text.contains(", 3 entries; last run: fresh"))
      #expect(!text.contains("DRIFT"))

      let json = try parseObject(setup.originGuard("status", "--json").output)
      #expect(json["table"] as? String == "origin_guard")
      #expect(json["table_present"] as? Bool == true)
      #expect((json["generation"] as? Int ?? 0) > 0)
      #expect((json["drifts"] as? [String])?.isEmpty == true)
      #expect(json["prefixes"] as? [String: Int] == ["ipv4": 2, "ipv6": 1])
      #expect(json["ranges"] as? [String: Int] == ["ipv4": 2, "ipv6": 1])
      #expect(json["matches_saved_state"] as? Bool == true)
      #expect(json["dropped"] as? [String: Int] == ["packets": 0, "bytes": 0])
      #expect(json["last_success"] is String)
      let attempt = try #require(json["last_attempt"] as? [String: Any])
      #expect(attempt["result"] as? String == "success")
      let sources = try #require(json["sources"] as? [[String: Any]])
      #expect(sources.count == 1)
      #expect(sources.first?["name"] as? String == "list")
      #expect(sources.first?["type"] as? String == "file")
      #expect(sources.first?["entries"] as? Int == 3)
      #expect(sources.first?["last_status"] as? String == "fresh")
      #expect(sources.first?["last_good_at"] is String)
      #expect(sources.first?["age_seconds"] is Int)
    }
  }

  @Test(.enabled(if: KernelTests.enabled))
  func reportsARuleSomeoneInsertedAsDrift() async throws {
    try await withCommandSetup { setup in
      try setup.writeConfig()
      try setup.writeList(Self.list)
      try setup.originGuard("sync")
      try setup.namespace.nft("add", "rule", "inet", "origin_guard", "guard", "counter")

      let text = try setup.originGuard("status").output
      #expect(text.contains("  DRIFT: "), "\(text)")
      let json = try parseObject(setup.originGuard("status", "--json").output)
      #expect((json["drifts"] as? [String])?.isEmpty == false)
      #expect(json["table_present"] as? Bool == true)

      // The next sync repairs it.
      let summary = try setup.originGuard("sync").output
      #expect(summary.contains("repaired"))
      let repaired = try parseObject(setup.originGuard("status", "--json").output)
      #expect((repaired["drifts"] as? [String])?.isEmpty == true)
    }
  }

  @Test(.enabled(if: KernelTests.enabled))
  func saysMissingWhenSomeoneDeletedTheTable() async throws {
    try await withCommandSetup { setup in
      try setup.writeConfig()
      try setup.writeList(Self.list)
      try setup.originGuard("sync")
      try setup.namespace.nft("delete", "table", "inet", "origin_guard")

      let text = try setup.originGuard("status").output
      #expect(text.contains("table inet origin_guard: MISSING"))
      let json = try parseObject(setup.originGuard("status", "--json").output)
      #expect(json["table_present"] as? Bool == false)
      #expect(json["matches_saved_state"] as? Bool == false)
    }
  }
}
