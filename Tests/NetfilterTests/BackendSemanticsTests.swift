import AddressSet
import Netfilter
import TestSupport
import Testing

/// The behaviour the reconciler relies on, checked against the fake and the kernel alike.
@Suite("Backend semantics (fake and kernel)")
struct BackendSemanticsTests {
  @Test(arguments: BackendKind.available) func generationAdvancesByOneOnEachCommit(
    _ kind: BackendKind
  ) async throws {
    try await kind.with { backend in
      let start = try backend.generation()
      let installed = try backend.install()
      #expect(installed == start &+ 1)
      #expect(try backend.generation() == installed)
      // An empty transaction commits nothing.
      #expect(try backend.apply(Transaction(), expectedGeneration: installed) == installed)
      #expect(try backend.generation() == installed)
      let changed = try backend.change4(add: [v4("10.0.0.0/24")], expected: installed)
      #expect(changed == installed &+ 1)
      #expect(try backend.generation() == changed)
    }
  }

  @Test(arguments: BackendKind.available) func staleGenerationIsRejectedAndNothingChanges(
    _ kind: BackendKind
  ) async throws {
    try await kind.with { backend in
      let installed = try backend.install(addresses("10.0.0.0/24"))
      let current = try backend.change4(add: [v4("10.0.1.0/24")])
      #expect(throws: NetfilterError.generationChanged(expected: installed)) {
        try backend.change4(add: [v4("10.0.2.0/24")], expected: installed)
      }
      #expect(try backend.generation() == current)
      #expect(try backend.ranges4() == [v4("10.0.0.0/24"), v4("10.0.1.0/24")])
    }
  }

  @Test(arguments: BackendKind.available) func oneFailingChangeAbortsTheWholeBatch(
    _ kind: BackendKind
  ) async throws {
    try await kind.with { backend in
      let installed = try backend.install(addresses("192.0.2.0/24"))
      // Many valid additions, then the removal of a range that is not there.
      let valid = (0..<6000).map {
        AddressRange(
          first: IPv4Address(bits: 0x0A00_0000 + UInt32($0) * 2),
          last: IPv4Address(bits: 0x0A00_0000 + UInt32($0) * 2))
      }
      var transaction = Transaction()
      transaction.addElements(valid, set: setV4, table: table)
      transaction.removeElements([v4("198.51.100.0/24")], set: setV4, table: table)
      #expect {
        try backend.apply(transaction, expectedGeneration: installed)
      } throws: { error in
        guard case .elementMissing(let operation, let element) = error as? NetfilterError else {
          return false
        }
        return operation.contains("delete 1 range(s) from set origin_guard allowed_v4")
          && (kind == .fake || element?.contains("198.51.100.0") == true)
      }
      #expect(try backend.generation() == installed)
      #expect(try backend.ranges4() == [v4("192.0.2.0/24")])
    }
  }

  @Test(arguments: BackendKind.available) func overlappingAdditionsFailWithTheElement(
    _ kind: BackendKind
  ) async throws {
    try await kind.with { backend in
      let installed = try backend.install(addresses("10.0.0.0/16"))
      for overlapping in [
        "10.0.0.0/16", "10.0.5.0/24", "10.0.0.0/8", "10.0.255.255/32", "9.255.255.255-10.0.0.0",
      ] {
        #expect {
          try backend.change4(add: [v4(overlapping)])
        } throws: { error in
          guard case .elementExists(_, let element) = error as? NetfilterError else { return false }
          return element != nil
        }
      }
      // Two overlapping ranges within one batch.
      #expect(throws: NetfilterError.self) {
        try backend.change4(add: [v4("172.16.0.0/24"), v4("172.16.0.128/25")])
      }
      #expect(try backend.generation() == installed)
      #expect(try backend.ranges4() == [v4("10.0.0.0/16")])
    }
  }

  @Test(arguments: BackendKind.available) func touchingRangesAreStoredApart(_ kind: BackendKind)
    async throws
  {
    try await kind.with { backend in
      try backend.install(addresses("10.0.1.0/24"))
      try backend.change4(add: [v4("10.0.0.0/24"), v4("10.0.2.0/24")])
      #expect(try backend.ranges4() == [v4("10.0.0.0/24"), v4("10.0.1.0/24"), v4("10.0.2.0/24")])
      // Stored apart, so each is removed by its own name.
      try backend.change4(remove: [v4("10.0.1.0/24")])
      #expect(try backend.ranges4() == [v4("10.0.0.0/24"), v4("10.0.2.0/24")])
    }
  }

  @Test(arguments: BackendKind.available) func removalsMustNameStoredRangesExactly(
    _ kind: BackendKind
  ) async throws {
    try await kind.with { backend in
      let installed = try backend.install(addresses("10.0.0.0/16"))
      for inexact in ["10.0.0.0/24", "10.0.0.0/15", "10.0.128.0/17", "10.1.0.0/16"] {
        #expect(throws: NetfilterError.self) { try backend.change4(remove: [v4(inexact)]) }
      }
      #expect(try backend.generation() == installed)
      try backend.change4(remove: [v4("10.0.0.0/16")])
      #expect(try backend.ranges4().isEmpty)
    }
  }

  @Test(arguments: BackendKind.available) func growShrinkAndSplitInOneBatch(_ kind: BackendKind)
    async throws
  {
    try await kind.with { backend in
      try backend.install(addresses("10.0.0.0/24", "10.1.0.0/16", "10.2.0.0/16"))
      let desired = IPv4Set(ranges: [
        v4("10.0.0.0/23"),  // grown
        v4("10.1.0.0/17"),  // shrunk
        v4("10.2.0.0/18"), v4("10.2.128.0/18"),  // split
      ])
      let diff = IntervalDiff(current: try backend.ranges4(), desired: desired)
      try backend.apply(
        ruleset.updateTransaction(v4: diff, v6: IntervalDiff(current: [], desired: IPv6Set())),
        expectedGeneration: nil)
      #expect(try backend.ranges4() == desired.ranges)
    }
  }

  @Test(arguments: BackendKind.available) func elementsOfAMissingSetOrTable(_ kind: BackendKind)
    async throws
  {
    try await kind.with { backend in
      #expect(try backend.readTable(named: table, withElements: true) == nil)
      #expect(throws: NetfilterError.self) { try backend.change4(add: [v4("10.0.0.0/8")]) }
      var deletion = Transaction()
      deletion.deleteTable(table)
      #expect {
        try backend.apply(deletion, expectedGeneration: nil)
      } throws: { error in
        guard case .objectMissing = error as? NetfilterError else { return false }
        return true
      }
      // Uninstalling works whether or not the table exists.
      try backend.apply(ruleset.uninstallTransaction(), expectedGeneration: nil)
      try backend.install()
      try backend.apply(ruleset.uninstallTransaction(), expectedGeneration: nil)
      #expect(try backend.readTable(named: table, withElements: false) == nil)
    }
  }

  @Test(arguments: BackendKind.available) func installReplacesWhateverIsThere(_ kind: BackendKind)
    async throws
  {
    try await kind.with { backend in
      try backend.install(addresses("10.0.0.0/8", "2001:db8::/32"))
      try backend.install(addresses("192.0.2.1"))
      let state = try #require(try backend.readTable(named: table, withElements: true))
      #expect(ruleset.compare(state, desired: addresses("192.0.2.1")) == .inSync)
      #expect(state.table == ruleset.table)
    }
  }

  @Test(arguments: BackendKind.available) func readBackIsInSyncAndCountsDrops(_ kind: BackendKind)
    async throws
  {
    try await kind.with { backend in
      let allowed = addresses("10.0.0.0/24", "1.2.3.4", "2001:db8::/48", "2001:db8:1::1")
      let generation = try backend.install(allowed)
      let state = try #require(try backend.readTable(named: table, withElements: true))
      #expect(state.generation == generation)
      #expect(ruleset.compare(state, desired: allowed) == .inSync)
      #expect(state.dropCounter(chain: ruleset.guardChainName) == Counter(packets: 0, bytes: 0))
      #expect(
        try backend.dropCounter(table: table, chain: ruleset.guardChainName)
          == Counter(packets: 0, bytes: 0))
      // Without elements the structure alone is compared.
      let structure = try #require(try backend.readTable(named: table, withElements: false))
      #expect(structure.elements == nil)
      #expect(ruleset.compare(structure, desired: addresses("8.8.8.8")) == .inSync)
      #expect(ruleset.compare(state, desired: addresses("8.8.8.8")) != .inSync)
    }
  }

  /// A bootstrap's rollback: a chain someone added (with a jump into it) is deleted, an edited
  /// chain gets its rules back, the elements come back, and the untouched chain is not
  /// re-created; then the way back, which re-creates the chain.
  @Test(arguments: BackendKind.available) func restoringUndoesChainsRulesAndElementsInPlace(
    _ kind: BackendKind
  ) async throws {
    try await kind.with { backend in
      try backend.install(addresses("192.0.2.0/24", "2001:db8::/48"))
      let previous = try #require(try backend.readTable(named: table, withElements: true))

      var drift = Transaction()
      drift.addChain("extra", base: nil, table: table)
      drift.addRule(Rule([.verdict(.accept)]), chain: "extra", table: table)
      drift.flushChain(ruleset.guardChainName, table: table)
      drift.addRule(Rule([.verdict(.jump("extra"))]), chain: ruleset.guardChainName, table: table)
      for rule in ruleset.table.chain(named: ruleset.guardChainName)!.rules {
        drift.addRule(rule, chain: ruleset.guardChainName, table: table)
      }
      drift.addElements([v4("198.51.100.0/24")], set: setV4, table: table)
      try backend.apply(drift, expectedGeneration: nil)
      let drifted = try #require(try backend.readTable(named: table, withElements: true))
      #expect(drifted.table != previous.table)

      let back = Transaction.restoring(previous, over: drifted, table: table)
      #expect(!back.orderedDescriptions.contains { $0.contains("table") })
      try backend.apply(back, expectedGeneration: drifted.generation)
      let restored = try #require(try backend.readTable(named: table, withElements: true))
      #expect(restored.table == previous.table)
      #expect(restored.elements == previous.elements)

      let again = Transaction.restoring(drifted, over: restored, table: table)
      try backend.apply(again, expectedGeneration: restored.generation)
      let redone = try #require(try backend.readTable(named: table, withElements: true))
      #expect(redone.table == drifted.table)
      #expect(redone.elements == drifted.elements)
      #expect(Transaction.restoring(drifted, over: redone, table: table).isEmpty)
    }
  }
}
