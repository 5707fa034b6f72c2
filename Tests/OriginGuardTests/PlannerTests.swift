import AddressSet
import AddressSources
import Foundation
import Netfilter
import Testing

@testable import OriginGuard

@Suite("Planner and provenance")
struct PlannerTests {
  private static func combined(_ lists: [String: [String]]) -> CombinedSources {
    CombinedSources(
      lists.sorted { $0.key < $1.key }.map { name, prefixes in
        SourceResult(
          source: name, kind: .static,
          entries: prefixes.enumerated().map {
            SourceEntry(prefix: prefix($1), origin: .file(path: "/\(name)", line: $0 + 1))
          }, fetchedAt: testEpoch, version: SourceVersion(checksum: name))
      })
  }

  @Test func aMissingTableIsInstalledInOneTransaction() {
    let ruleset = GuardRuleset()
    let desired = Self.combined(["a": ["192.0.2.0/24", "2001:db8::/48"]])
    let plan = Planner(ruleset: ruleset).plan(
      desired: desired, state: nil, generation: 7, previous: nil)

    #expect(plan.basis == .kernel)
    #expect(plan.generation == 7)
    #expect(!plan.tableExists)
    #expect(plan.drifts == [.tableMissing("origin_guard")])
    #expect(plan.current.isEmpty)
    #expect(plan.transaction == ruleset.installTransaction(allowing: desired.set))
    #expect(plan.previousSources == nil)
  }

  @Test func aTableInSyncNeedsNoTransaction() throws {
    let ruleset = GuardRuleset()
    let fake = FakeNetfilter()
    try fake.apply(
      ruleset.installTransaction(allowing: addresses("192.0.2.0/24")), expectedGeneration: nil)
    let state = try fake.readTable(named: "origin_guard", withElements: true)

    let plan = Planner(ruleset: ruleset).plan(
      desired: Self.combined(["a": ["192.0.2.0/25", "192.0.2.128/25"]]), state: state,
      generation: 2, previous: nil)

    #expect(plan.isInSync)
    #expect(plan.unchangedCount == 1)
  }

  @Test func aPlanAgainstTheSavedStateOnlyChangesElements() {
    let ruleset = GuardRuleset()
    let previous = Self.combined(["a": ["192.0.2.0/24", "198.51.100.0/24"]])
    let plan = Planner(ruleset: ruleset).plan(
      desired: Self.combined(["a": ["192.0.2.0/24"], "b": ["203.0.113.0/24"]]),
      savedApplied: previous.set, generation: 9, previous: previous)

    #expect(plan.basis == .savedState)
    #expect(plan.tableExists)
    #expect(plan.transaction.structureChanges.isEmpty)
    #expect(plan.added == [prefix("203.0.113.0/24")])
    #expect(plan.removed == [prefix("198.51.100.0/24")])
    #expect(
      plan.provenance(of: prefix("203.0.113.0/24"))
        == [Provenance(source: "b", origin: .file(path: "/b", line: 1))])
    #expect(
      plan.provenance(of: prefix("198.51.100.0/24"), removed: true)
        == [Provenance(source: "a", origin: .file(path: "/a", line: 2))])
  }

  @Test func provenanceFindsListedPrefixesAroundAndInsideTheQuery() {
    let index = ProvenanceIndex(
      Self.combined([
        "a": ["10.0.0.0/8", "10.1.2.0/24", "10.1.3.0/24", "11.0.0.0/8"],
        "b": ["10.1.2.0/24", "2001:db8::/32"],
      ]))

    // Inside a listed /8, around two listed /24s; the most specific listing first.
    #expect(
      index.contributors(prefix("10.1.0.0/16")) == [
        Provenance(source: "a", origin: .file(path: "/a", line: 2)),
        Provenance(source: "b", origin: .file(path: "/b", line: 1)),
        Provenance(source: "a", origin: .file(path: "/a", line: 3)),
        Provenance(source: "a", origin: .file(path: "/a", line: 1)),
      ])
    #expect(index.contributors(prefix("12.0.0.0/8")).isEmpty)
    #expect(
      index.contributors(prefix("2001:db8:1::/48"))
        == [Provenance(source: "b", origin: .file(path: "/b", line: 2))])
  }
}
