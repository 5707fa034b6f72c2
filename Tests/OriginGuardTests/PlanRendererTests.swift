import AddressSet
import AddressSources
import Foundation
import Netfilter
import Testing

@testable import OriginGuard

/// `plan` output for fixed scenarios, compared with golden text.
@Suite("Plan renderer")
struct PlanRendererTests {
  /// Two sources synced once; then `cdn` changes (one /24 replaced, one IPv6 /48 added next to
  /// the one it had, so the desired IPv6 set is one /47) while `alb` fails and stands in with
  /// its five-minute-old list.
  private func changedScenario() async throws -> Harness {
    let h = try Harness(sources: ["cdn", "alb"])
    h.sources[0].list("192.0.2.0/24", "198.51.100.0/24", "2001:db8::/48")
    h.sources[1].list("100.64.0.0/10")
    _ = try await h.sync()
    h.clock.advance(seconds: 300)
    h.sources[0].list("192.0.2.0/24", "203.0.113.0/24", "2001:db8::/48", "2001:db8:1::/48")
    h.sources[1].fail()
    return h
  }

  static let planText = """
    table inet origin_guard: generation 2 (saved state, generation unchanged)
    Add 2 prefixes:
      + 203.0.113.0/24   source cdn, URL https://lists.example/cdn.txt line 2
      + 2001:db8:1::/48  source cdn, URL https://lists.example/cdn.txt line 4
    Remove 1 prefix:
      - 198.51.100.0/24  source cdn, URL https://lists.example/cdn.txt line 2
    Unchanged 3 prefixes; desired 4 prefixes (IPv4 3, IPv6 1).
    Sources:
      cdn: fresh
      alb: cache (5m old) — source alb: https://lists.example/alb.txt: connection failed: connection refused
    Not applied (plan only).

    """

  @Test func textOfAPlan() async throws {
    let h = try await changedScenario()
    let report = try await h.plan()
    #expect(PlanRenderer.text(report, table: "origin_guard") == Self.planText)
  }

  static let appliedJSON = """
    {
      "add" : [
        {
          "family" : "ipv4",
          "prefix" : "203.0.113.0/24",
          "provenance" : [
            {
              "origin" : "URL https://lists.example/cdn.txt line 2",
              "source" : "cdn"
            }
          ]
        },
        {
          "family" : "ipv6",
          "prefix" : "2001:db8:1::/48",
          "provenance" : [
            {
              "origin" : "URL https://lists.example/cdn.txt line 4",
              "source" : "cdn"
            }
          ]
        }
      ],
      "applied" : true,
      "basis" : "saved-state",
      "configuration_changes" : [

      ],
      "counts" : {
        "add" : 2,
        "desired_ipv4" : 3,
        "desired_ipv6" : 1,
        "remove" : 1,
        "retained" : 0,
        "unchanged" : 3
      },
      "drift_elements" : {
        "restored" : [

        ],
        "unapplied_removed" : [

        ]
      },
      "drifts" : [

      ],
      "forced_past" : [

      ],
      "former_tables" : [

      ],
      "generation" : 2,
      "in_sync" : false,
      "notes" : [

      ],
      "remove" : [
        {
          "family" : "ipv4",
          "prefix" : "198.51.100.0/24",
          "provenance" : [
            {
              "origin" : "URL https://lists.example/cdn.txt line 2",
              "source" : "cdn"
            }
          ]
        }
      ],
      "retained" : [

      ],
      "shrink_baseline" : "last_applied",
      "sources" : [
        {
          "name" : "cdn",
          "status" : "fresh"
        },
        {
          "error" : "source alb: https://lists.example/alb.txt: connection failed: connection refused",
          "name" : "alb",
          "status" : "cache (5m old)"
        }
      ],
      "table" : "origin_guard",
      "table_deleted_by_someone_else" : false,
      "table_exists" : true
    }

    """

  @Test func jsonOfAnAppliedSync() async throws {
    let h = try await changedScenario()
    let report = try await h.sync()
    #expect(report.generation == 3)
    #expect(PlanRenderer.json(report, table: "origin_guard") == Self.appliedJSON)
    // And it is JSON.
    let object = try JSONSerialization.jsonObject(with: Data(Self.appliedJSON.utf8))
    #expect(object is [String: Any])
  }

  static let firstSyncText = """
    table inet origin_guard: generation 1 (read from the kernel)
    The table does not exist yet: it will be created.
    Add 2 prefixes:
      + 192.0.2.0/24   source cdn, URL https://lists.example/cdn.txt line 1
      + 2001:db8::/48  source cdn, URL https://lists.example/cdn.txt line 2
    Unchanged 0 prefixes; desired 2 prefixes (IPv4 1, IPv6 1).
    Sources:
      cdn: fresh
    Applied in one atomic batch (generation 2).

    """

  @Test func textOfTheFirstSync() async throws {
    let h = try Harness()
    h.source.list("192.0.2.0/24", "2001:db8::/48")
    let report = try await h.sync()
    #expect(PlanRenderer.text(report, table: "origin_guard") == Self.firstSyncText)
  }

  static let driftText = """
    table inet origin_guard: generation 5 (read from the kernel)
    Structure drift, repaired in the same atomic batch (someone else changed it):
      ! chain input changed: found type filter hook input priority -10; policy drop, expected type filter hook input priority -10; policy accept
      ! a rule was inserted into chain guard at position 1: `accept`
    Remove 1 prefix nobody applied: elements someone else added (drift):
      - 203.0.113.0/24  not applied by origin-guard, listed by no source
    Unchanged 1 prefix; desired 1 prefix (IPv4 1, IPv6 0).
    Sources:
      cdn: fresh
    Applied in one atomic batch (generation 6).

    """

  /// The foreign element is half of the kernel's IPv4 addresses, yet no `--force` is needed:
  /// the shrink guard measures what origin-guard applied, and the element is drift.
  @Test func textOfADriftRepairWithAForeignElement() async throws {
    var guards = testGuards
    guards.maxShrinkPercent = 40
    let h = try Harness(guards: guards)
    h.source.list("192.0.2.0/24")
    _ = try await h.sync()
    h.fake.simulateDrift(table: "origin_guard") { table in
      table.chains[0].base?.policy = .drop
      table.chains[1].rules.insert(Rule([.verdict(.accept)]), at: 0)
    }
    h.fake.simulateForeignElement(
      v4Range("203.0.113.0/24"), set: "allowed_v4", table: "origin_guard")
    h.fake.simulateForeignCommit()

    let report = try await h.sync()
    #expect(PlanRenderer.text(report, table: "origin_guard") == Self.driftText)
  }

  static let inSyncJSON = """
    {
      "add" : [

      ],
      "applied" : false,
      "basis" : "saved-state",
      "configuration_changes" : [

      ],
      "counts" : {
        "add" : 0,
        "desired_ipv4" : 1,
        "desired_ipv6" : 0,
        "remove" : 0,
        "retained" : 0,
        "unchanged" : 1
      },
      "drift_elements" : {
        "restored" : [

        ],
        "unapplied_removed" : [

        ]
      },
      "drifts" : [

      ],
      "forced_past" : [

      ],
      "former_tables" : [

      ],
      "generation" : 2,
      "in_sync" : true,
      "notes" : [

      ],
      "remove" : [

      ],
      "retained" : [

      ],
      "shrink_baseline" : "last_applied",
      "sources" : [
        {
          "name" : "cdn",
          "status" : "fresh"
        }
      ],
      "table" : "origin_guard",
      "table_deleted_by_someone_else" : false,
      "table_exists" : true
    }

    """

  @Test func inSyncTextAndJSON() async throws {
    let h = try Harness()
    h.source.list("192.0.2.0/24")
    _ = try await h.sync()
    let report = try await h.plan()
    #expect(
      PlanRenderer.text(report, table: "origin_guard") == """
        table inet origin_guard: generation 2 (saved state, generation unchanged)
        Unchanged 1 prefix; desired 1 prefix (IPv4 1, IPv6 0).
        Sources:
          cdn: fresh
        In sync: nothing to do.

        """)
    #expect(PlanRenderer.json(report, table: "origin_guard") == Self.inSyncJSON)
  }

  /// What the parser changed is in the text and the JSON (it was collected, never shown).
  @Test func notesOfTheParserAreShown() async throws {
    let h = try Harness()
    let url = h.source.url
    h.source.respond(
      .entries([
        SourceEntry(
          prefix: prefix("203.0.113.0/25"), origin: .url(url, line: 1),
          notes: [.hostBitsMasked(original: "203.0.113.77/25")]),
        SourceEntry(
          prefix: prefix("192.0.2.9/32"), origin: .url(url, line: 2),
          notes: [.ipv4MappedConverted(original: "::ffff:192.0.2.9")]),
      ]))
    let report = try await h.plan()
    let text = PlanRenderer.text(report, table: "origin_guard")
    #expect(
      text.contains(
        """
        Changed by the parser (2 entries):
          ~ source cdn, URL \(url) line 1: 203.0.113.77/25 has host bits set; masked to its network: 203.0.113.0/25
          ~ source cdn, URL \(url) line 2: ::ffff:192.0.2.9 is IPv4-mapped; used as IPv4: 192.0.2.9/32

        """))
    let json = try #require(
      try JSONSerialization.jsonObject(
        with: Data(PlanRenderer.json(report, table: "origin_guard").utf8))
        as? [String: Any])
    let notes = try #require(json["notes"] as? [[String: Any]])
    #expect(notes.map { $0["prefix"] as? String } == ["203.0.113.0/25", "192.0.2.9/32"])
    #expect(
      notes.first?["note"] as? String == "203.0.113.77/25 has host bits set; masked to its network")
  }

  /// One prefix listed on 5,000 lines: its row shows 20 listings and how many more, the
  /// JSON 20 objects and `provenance_omitted`.
  @Test func provenanceOfAPrefixIsCapped() async throws {
    let h = try Harness()
    h.source.list(contentsOf: Array(repeating: "203.0.113.7", count: 5_000))
    let report = try await h.plan()
    let text = PlanRenderer.text(report, table: "origin_guard")
    #expect(text.contains("line 20; and 4,980 more listings\n"))
    #expect(text.utf8.count < 8_192)
    let json = try #require(
      try JSONSerialization.jsonObject(
        with: Data(PlanRenderer.json(report, table: "origin_guard").utf8))
        as? [String: Any])
    let added = try #require((json["add"] as? [[String: Any]])?.first)
    #expect((added["provenance"] as? [Any])?.count == 20)
    #expect(added["provenance_omitted"] as? Int == 4_980)
  }
}
