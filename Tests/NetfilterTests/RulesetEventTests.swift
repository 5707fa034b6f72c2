import AddressSet
import Netfilter
import TestSupport
import Testing

/// The ruleset's change events: each commit arrives as one `RulesetCommit` with the generation
/// it made, the tables it touched and whether it was ours — the same from the fake and from
/// the kernel.
@Suite("Ruleset events")
struct RulesetEventTests {
  /// Drains until `count` commits arrived (the kernel has queued them when the commit returns;
  /// the fake at once), at most 2 s.
  private func commits(_ subscription: any RulesetSubscription, count: Int) throws
    -> [RulesetCommit]
  {
    var commits: [RulesetCommit] = []
    let deadline = ContinuousClock.now + .seconds(2)
    while commits.count < count && ContinuousClock.now < deadline {
      _ = try subscription.wait(timeout: .milliseconds(100))
      for case .commit(let commit) in try subscription.drain() { commits.append(commit) }
    }
    return commits
  }

  @Test(arguments: BackendKind.available)
  func ourCommitIsAnnouncedAsOursWithItsGeneration(_ kind: BackendKind) async throws {
    try await kind.with { backend in
      let subscription = try #require(backend as? any RulesetEventSource).subscribe()
      let generation = try backend.install(addresses("192.0.2.0/24", "2001:db8::/48"))
      let announced = try commits(subscription, count: 1)
      #expect(announced.count == 1)
      let commit = try #require(announced.first)
      #expect(commit.isOwn)
      #expect(commit.generation == generation)
      #expect(commit.touches(inetTable: table))
      // Installing replaces the table (`add table`, `delete table`, then everything anew).
      let added = Set(commit.changes.filter { $0.action == .added }.map(\.object))
      #expect(added.isSuperset(of: [.table, .set, .chain, .rule, .element]))
      #expect(commit.changes.allSatisfy { $0.table == table && $0.family == 1 })
      // A failed batch commits nothing and announces nothing.
      #expect(throws: NetfilterError.self) { try backend.change4(remove: [v4("10.0.0.0/8")]) }
      #expect(try subscription.drain().isEmpty)
    }
  }

  @Test(.enabled(if: KernelTests.enabled))
  func othersCommitsAreAnnouncedWithWhatTheyTouchedAndWho() async throws {
    try await withThrowawayNamespace { namespace in
      let backend = try NetlinkBackend(networkNamespace: namespace.path)
      try backend.install(addresses("192.0.2.0/24"))
      let subscription = try backend.subscribe()
      let other = try NetlinkBackend(networkNamespace: namespace.path)
      var remove = Transaction()
      remove.removeElements([v4("192.0.2.0/24")], set: setV4, table: table)
      let removed = try other.apply(remove, expectedGeneration: nil)
      try namespace.nft("add", "table", "inet", "neighbour")
      try namespace.nft("flush", "ruleset")

      let announced = try commits(subscription, count: 3)
      #expect(announced.map(\.generation) == [removed, removed + 1, removed + 2])
      #expect(announced.allSatisfy { !$0.isOwn })
      #expect(
        announced[0].changes == [
          RulesetChange(.element, .deleted, family: RulesetChange.inetFamily, table: table)
        ])
      #expect(
        !announced[1].touches(inetTable: table) && announced[1].touches(inetTable: "neighbour"))
      #expect(announced[1].process?.name == "nft")
      #expect(
        announced[2].touches(inetTable: table) && announced[2].touches(inetTable: "neighbour"))
      #expect(
        announced[2].changes.contains(
          RulesetChange(.table, .deleted, family: RulesetChange.inetFamily, table: table)))
      #expect(try backend.generation() == removed + 2)
    }
  }
}
