import AddressSet
import AddressSources
import Foundation
import Netfilter
import Testing

@testable import OriginGuard

@Suite("Reconciler: sync against the fake kernel")
struct ReconcilerSyncTests {
  @Test func firstSyncOnAnEmptyKernelCreatesTheTableAndItsElements() async throws {
    let h = try Harness()
    h.source.list("192.0.2.0/24", "198.51.100.0/25", "2001:db8::/48")
    let generationBefore = h.generation

    let report = try await h.sync()

    #expect(report.applied)
    #expect(report.plan.basis == .kernel)
    #expect(!report.plan.tableExists)
    #expect(report.plan.drifts == [.tableMissing("origin_guard")])
    #expect(
      report.plan.added == [
        prefix("192.0.2.0/24"), prefix("198.51.100.0/25"), prefix("2001:db8::/48"),
      ])
    #expect(report.plan.removed.isEmpty)
    #expect(h.commitCount == 1)
    #expect(h.generation == generationBefore + 1)
    #expect(report.generation == h.generation)
    let state = try #require(try h.kernelState())
    #expect(state.table == h.ruleset.table)
    #expect(try h.kernelSet() == addresses("192.0.2.0/24", "198.51.100.0/25", "2001:db8::/48"))

    let header = try #require(try h.store.loadHeader())
    #expect(header.generation == h.generation)
    #expect(header.bootID == testIdentity)
    #expect(header.table == "origin_guard")
    #expect(try h.store.loadApplied(header) == report.plan.desired)
    #expect(header.sources.keys.sorted() == ["cdn"])
  }

  @Test func secondSyncIsInSyncThroughTheSavedStateAndCommitsNothing() async throws {
    let h = try Harness()
    h.source.list("192.0.2.0/24", "2001:db8::/48")
    _ = try await h.sync()
    let commits = h.commitCount
    let generation = h.generation

    let report = try await h.sync()

    #expect(report.plan.basis == .savedState)
    #expect(report.plan.isInSync)
    #expect(!report.applied)
    #expect(report.plan.added.isEmpty && report.plan.removed.isEmpty)
    #expect(report.plan.unchangedCount == 2)
    #expect(h.commitCount == commits)
    #expect(h.generation == generation)
    #expect(report.generation == generation)
    #expect(h.source.callCount == 2)
  }

  @Test func planOnlyChangesNothing() async throws {
    let h = try Harness()
    h.source.list("192.0.2.0/24")
    let report = try await h.plan()

    #expect(!report.applied)
    #expect(!report.plan.isInSync)
    #expect(report.plan.added == [prefix("192.0.2.0/24")])
    #expect(h.commitCount == 0)
    #expect(try h.kernelState() == nil)
    #expect(try h.store.loadHeader() == nil)
  }

  @Test func addRemoveAndSplitInOneTransactionWithProvenance() async throws {
    let h = try Harness()
    h.source.list("192.0.2.0/24", "198.51.100.0/24", "2001:db8::/48")
    _ = try await h.sync()
    let commits = h.commitCount

    // Line 1 shrinks to its lower half, line 2 splits in two, line 3 stays, line 4 is new.
    h.source.list(
      "192.0.2.0/25", "198.51.100.0/26", "2001:db8::/48", "203.0.113.0/24", "198.51.100.192/26")
    let report = try await h.sync()

    #expect(report.applied)
    #expect(report.plan.basis == .savedState)
    #expect(report.plan.added == [prefix("203.0.113.0/24")])
    #expect(
      report.plan.removed == [
        prefix("192.0.2.128/25"), prefix("198.51.100.64/26"), prefix("198.51.100.128/26"),
      ])
    #expect(h.commitCount == commits + 1)
    #expect(
      try h.kernelSet()
        == addresses(
          "192.0.2.0/25", "198.51.100.0/26", "198.51.100.192/26", "203.0.113.0/24",
          "2001:db8::/48"))

    // The batch removes the changed ranges as stored and adds their replacements.
    let transaction = try #require(h.fake.appliedTransactions.last)
    #expect(transaction.structureChanges.isEmpty)
    #expect(transaction.elementRemovals.map(\.set) == ["allowed_v4"])
    #expect(
      transaction.elementRemovals.map(\.kind) == [
        .remove(.ipv4([v4Range("192.0.2.0/24"), v4Range("198.51.100.0/24")]))
      ])
    #expect(transaction.elementAdditions.map(\.set) == ["allowed_v4"])
    #expect(
      transaction.elementAdditions.map(\.kind) == [
        .add(
          .ipv4([
            v4Range("192.0.2.0/25"), v4Range("198.51.100.0/26"), v4Range("198.51.100.192/26"),
            v4Range("203.0.113.0/24"),
          ]))
      ])

    let url = h.source.url
    #expect(
      report.plan.provenance(of: prefix("203.0.113.0/24"))
        == [Provenance(source: "cdn", origin: .url(url, line: 4))])
    // A removed prefix names the line that listed it in the previous sync.
    #expect(
      report.plan.provenance(of: prefix("192.0.2.128/25"), removed: true)
        == [Provenance(source: "cdn", origin: .url(url, line: 1))])
    #expect(
      report.plan.provenance(of: prefix("198.51.100.64/26"), removed: true)
        == [Provenance(source: "cdn", origin: .url(url, line: 2))])
  }

  @Test func provenanceNamesEverySourceListingAPrefix() async throws {
    let h = try Harness(sources: ["cdn", "alb"])
    h.sources[0].list("192.0.2.0/24", "198.51.100.0/24")
    h.sources[1].list("192.0.2.0/24", "100.64.0.0/10")

    let report = try await h.sync()

    #expect(try h.kernelSet() == addresses("192.0.2.0/24", "198.51.100.0/24", "100.64.0.0/10"))
    #expect(
      report.plan.provenance(of: prefix("192.0.2.0/24")) == [
        Provenance(source: "cdn", origin: .url(h.sources[0].url, line: 1)),
        Provenance(source: "alb", origin: .url(h.sources[1].url, line: 1)),
      ])
    #expect(
      report.plan.provenance(of: prefix("100.64.0.0/10"))
        == [Provenance(source: "alb", origin: .url(h.sources[1].url, line: 2))])
    #expect(report.outcomes.map(\.name) == ["cdn", "alb"])
    #expect(report.outcomes.map(\.status) == ["fresh", "fresh"])
  }

  @Test func adjacentPrefixesFromDifferentSourcesAreStoredAsOneRange() async throws {
    let h = try Harness(sources: ["cdn", "alb"])
    h.sources[0].list("192.0.2.0/25")
    h.sources[1].list("192.0.2.128/25")

    let report = try await h.sync()

    #expect(report.plan.added == [prefix("192.0.2.0/24")])
    let elements = try #require(try h.kernelState()?.elements)
    #expect(elements["allowed_v4"] == .ipv4([v4Range("192.0.2.0/24")]))
    #expect(elements["allowed_v6"] == .ipv6([]))
  }

  @Test func everyChangeIsOneTransaction() async throws {
    let h = try Harness()
    let lists = [
      ["192.0.2.0/24"],
      ["192.0.2.0/24", "198.51.100.0/24", "2001:db8::/48"],
      ["192.0.2.0/24", "198.51.100.0/25", "2001:db8:1::/48", "2001:db8::/48"],
      ["192.0.2.0/24", "198.51.100.0/25", "2001:db8:1::/48"],
    ]
    for (index, list) in lists.enumerated() {
      h.source.respond(h.source.entries(list))
      let report = try await h.sync()
      #expect(report.applied)
      #expect(h.commitCount == index + 1)
      #expect(try h.kernelSet() == DualStackSet(prefixes: list.map(prefix)))
    }
  }

  @Test func aSyncAfterAnotherProgramsCommitReadsTheKernelAndRemembersTheNewGeneration()
    async throws
  {
    let h = try Harness()
    h.source.list("192.0.2.0/24")
    _ = try await h.sync()
    h.fake.simulateForeignCommit()

    let report = try await h.sync()
    #expect(report.plan.basis == .kernel)
    #expect(report.plan.isInSync)
    #expect(h.commitCount == 1)
    #expect(try h.store.loadHeader()?.generation == h.generation)

    // With the generation remembered, the next sync trusts the saved state again.
    #expect(try await h.sync().plan.basis == .savedState)
  }

  @Test func aSavedStateFromAnotherBootIsNotTrusted() async throws {
    let h = try Harness()
    h.source.list("192.0.2.0/24")
    _ = try await h.sync()
    // Same generation number, but saved under another kernel identity (a reboot).
    let header = try #require(try h.store.loadHeader())
    try h.store.save(
      applied: try h.store.loadApplied(header), sources: [], table: header.table,
      generation: header.generation, bootID: "another-boot", at: testEpoch)

    let report = try await h.sync()
    #expect(report.plan.basis == .kernel)
    #expect(report.plan.isInSync)
    #expect(try h.store.loadHeader()?.bootID == testIdentity)
  }

  @Test func summaryLineSaysWhatChanged() async throws {
    let h = try Harness()
    h.source.list("192.0.2.0/24", "198.51.100.0/24")
    var planned = try await h.plan()
    planned.duration = .milliseconds(2)
    #expect(
      planned.summary
        == "pending: added 2, removed 0, unchanged 0 prefixes, table to create, sources: cdn=fresh, 2 ms"
    )
    var first = try await h.sync()
    first.duration = .milliseconds(40)
    #expect(
      first.summary
        == "added 2, removed 0, unchanged 0 prefixes, created the table, sources: cdn=fresh, 40 ms")

    h.source.list("192.0.2.0/24", "203.0.113.0/24")
    var report = try await h.sync()
    report.duration = .milliseconds(12)
    #expect(
      report.summary == "added 1, removed 1, unchanged 1 prefixes, sources: cdn=fresh, 12 ms")

    h.source.list("192.0.2.0/24")
    var pending = try await h.plan()
    pending.duration = .milliseconds(3)
    #expect(
      pending.summary
        == "pending: added 0, removed 1, unchanged 1 prefixes, sources: cdn=fresh, 3 ms")

    h.fake.simulateDrift(table: "origin_guard") { $0.chains[0].base?.policy = .drop }
    h.source.fail()
    h.clock.advance(seconds: 120)
    var repaired = try await h.sync()
    repaired.duration = .milliseconds(1500)
    #expect(
      repaired.summary
        == "added 0, removed 0, unchanged 2 prefixes, repaired 1 drift(s), sources: cdn=cache (2m old), 1500 ms"
    )
  }
}
