import AddressSet
import Netfilter
import Testing

/// The fake's test hooks behave like other writers sharing the kernel.
@Suite("FakeNetfilter hooks")
struct FakeNetfilterTests {
  @Test func foreignCommitMakesTheNextGuardedApplyFail() throws {
    let fake = FakeNetfilter()
    let generation = try fake.install()
    fake.simulateForeignCommit()
    #expect(try fake.generation() == generation + 1)
    #expect(throws: NetfilterError.generationChanged(expected: generation)) {
      try fake.change4(add: [v4("10.0.0.0/8")], expected: generation)
    }
    #expect(fake.appliedTransactions.count == 1)
  }

  @Test func driftIsReportedAndRepaired() throws {
    let fake = FakeNetfilter()
    try fake.install(addresses("10.0.0.0/24"))
    fake.simulateDrift(table: table) { $0.chains[0].base?.policy = .drop }
    let state = try fake.readTable(named: table, withElements: true)
    guard
      case .structureDrifted(let drifts) = ruleset.compare(state, desired: addresses("10.0.0.0/24"))
    else {
      Issue.record("expected drift")
      return
    }
    #expect(drifts.count == 1)
    try fake.install(addresses("10.0.0.0/24"))
    #expect(
      ruleset.compare(
        try fake.readTable(named: table, withElements: true), desired: addresses("10.0.0.0/24"))
        == .inSync)
  }

  @Test func tableDeletionAndForeignElements() throws {
    let fake = FakeNetfilter()
    try fake.install(addresses("10.0.0.0/24"))
    fake.simulateForeignElement(v4("192.0.2.1"), set: setV4, table: table)
    #expect(try fake.ranges4() == [v4("10.0.0.0/24"), v4("192.0.2.1")])
    fake.simulateForeignElement(v6("2001:db8::1"), set: setV6, table: table)
    #expect(try fake.ranges6() == [v6("2001:db8::1")])
    fake.simulateTableDeletion(table)
    #expect(try fake.readTable(named: table, withElements: false) == nil)
  }

  @Test func injectedFailuresHitOnceAndChangeNothing() throws {
    let fake = FakeNetfilter()
    let generation = try fake.install()
    fake.injectFailure(.permissionDenied(operation: "test"), on: .apply)
    #expect(throws: NetfilterError.permissionDenied(operation: "test")) {
      try fake.install(addresses("10.0.0.0/8"))
    }
    #expect(try fake.generation() == generation)
    #expect(try fake.ranges4().isEmpty)
    try fake.install(addresses("10.0.0.0/8"))
    fake.injectFailure(.nfTablesUnavailable(detail: "test"), on: .readTable)
    #expect(throws: NetfilterError.self) { try fake.readTable(named: table, withElements: true) }
    #expect(try fake.readTable(named: table, withElements: true) != nil)
    fake.injectFailure(.busy(operation: "x"), on: .generation)
    #expect(throws: NetfilterError.busy(operation: "x")) { try fake.generation() }
  }

  @Test func droppedPacketsShowInTheCounter() throws {
    let fake = FakeNetfilter()
    try fake.install()
    fake.simulateDroppedPackets(3, bytes: 180, table: table, chain: ruleset.guardChainName)
    #expect(
      try fake.dropCounter(table: table, chain: ruleset.guardChainName)
        == Counter(packets: 3, bytes: 180))
    #expect(
      try fake.readTable(named: table, withElements: false)?.dropCounter(chain: "guard")
        == Counter(packets: 3, bytes: 180))
  }

  @Test func generationSkipsZeroWhenItWraps() throws {
    let fake = FakeNetfilter(generation: .max)
    #expect(try fake.install() == 1)
  }
}
