import AddressSet
import Netfilter
import Testing

/// The flow the notes for the reconciler author describe (docs/kernel-layer-notes.md), run
/// against the fake: fast path while the generation is unchanged, full read after a foreign
/// commit, repair after drift.
@Suite("Reconcile flow from the notes")
struct ReconcileFlowTests {
  final class Reconciler {
    let backend: any NetfilterBackend
    let rules = GuardRuleset()
    var known: (generation: UInt32, allowed: DualStackSet)?
    var fullReads = 0
    var repairs: [[Drift]] = []

    init(backend: any NetfilterBackend) { self.backend = backend }

    func reconcile(to desired: DualStackSet) throws(NetfilterError) {
      if let known, try backend.generation() == known.generation {
        let update = rules.updateTransaction(
          v4: IntervalDiff(current: known.allowed.v4, desired: desired.v4),
          v6: IntervalDiff(current: known.allowed.v6, desired: desired.v6))
        do throws(NetfilterError) {
          self.known = (try backend.apply(update, expectedGeneration: known.generation), desired)
          return
        } catch .generationChanged {
          // Someone committed in between: fall through to a full read.
        }
      }
      fullReads += 1
      let state = try backend.readTable(named: rules.tableName, withElements: true)
      let generation: UInt32
      switch rules.compare(state, desired: desired) {
      case .inSync:
        generation = state!.generation
      case .elementsDiffer(let v4, let v6):
        generation = try backend.apply(
          rules.updateTransaction(v4: v4, v6: v6), expectedGeneration: state!.generation)
      case .structureDrifted(let drifts):
        repairs.append(drifts)
        generation = try backend.apply(
          rules.installTransaction(allowing: desired), expectedGeneration: state?.generation)
      }
      known = (generation, desired)
    }
  }

  @Test func fastPathForeignCommitAndRepair() throws {
    let fake = FakeNetfilter()
    let reconciler = Reconciler(backend: fake)
    try reconciler.reconcile(to: addresses("10.0.0.0/24"))
    #expect(reconciler.repairs == [[.tableMissing("origin_guard")]])
    try reconciler.reconcile(to: addresses("10.0.0.0/23", "2001:db8::/32"))
    try reconciler.reconcile(to: addresses("10.0.0.0/23", "2001:db8::/32"))
    #expect(reconciler.fullReads == 1)
    #expect(try fake.ranges4() == [v4("10.0.0.0/23")])

    fake.simulateForeignCommit()
    try reconciler.reconcile(to: addresses("10.0.0.0/22"))
    #expect(reconciler.fullReads == 2)

    fake.simulateForeignElement(v4("192.0.2.1"), set: setV4, table: table)
    try reconciler.reconcile(to: addresses("10.0.0.0/22"))
    #expect(try fake.ranges4() == [v4("10.0.0.0/22")])

    fake.simulateDrift(table: table) { $0.chains[1].rules.removeFirst() }
    try reconciler.reconcile(to: addresses("10.0.0.0/22"))
    #expect(reconciler.repairs.count == 2)
    #expect(
      ruleset.compare(
        try fake.readTable(named: table, withElements: true), desired: addresses("10.0.0.0/22"))
        == .inSync)
  }
}
