import AddressSet
import AddressSources
import Netfilter

/// Turns "what should be allowed" and "what the kernel holds" into a `Plan`.
public struct Planner: Sendable {
  public let ruleset: GuardRuleset

  public init(ruleset: GuardRuleset) {
    self.ruleset = ruleset
  }

  /// - Parameters:
  ///   - state: our table as read, with elements, or nil when it is missing.
  ///   - previous: what the last successful sync's sources listed, to say where a removed
  ///     prefix came from.
  ///   - lastSync: what origin-guard itself last installed in this kernel, to tell whose each
  ///     difference is; nil when no saved state belongs to it.
  public func plan(
    desired combined: CombinedSources, state: TableState?, generation: UInt32,
    previous: CombinedSources?, lastSync: LastSync? = nil
  ) -> Plan {
    let desired = combined.set
    let current = Self.currentSet(state, ruleset: ruleset)
    let transaction: Transaction
    var drifts: [Drift] = []
    switch ruleset.compare(state, desired: desired) {
    case .inSync:
      transaction = Transaction()
    case .elementsDiffer(let v4, let v6):
      transaction = ruleset.updateTransaction(v4: v4, v6: v6)
    case .structureDrifted(let found):
      drifts = found
      transaction = ruleset.installTransaction(allowing: desired)
    }
    return makePlan(
      desired: combined, current: current, found: state?.table, drifts: drifts,
      transaction: transaction, generation: generation, basis: .kernel, previous: previous,
      lastSync: lastSync)
  }

  /// Plans against the saved state: valid only while the kernel's generation equals the one
  /// saved right after our last commit, so the kernel holds exactly `applied`.
  public func plan(
    desired combined: CombinedSources, savedApplied applied: DualStackSet, generation: UInt32,
    previous: CombinedSources?, lastSync: LastSync? = nil
  ) -> Plan {
    let desired = combined.set
    let transaction = ruleset.updateTransaction(
      v4: IntervalDiff(current: applied.v4, desired: desired.v4),
      v6: IntervalDiff(current: applied.v6, desired: desired.v6))
    return makePlan(
      desired: combined, current: applied, found: ruleset.table, drifts: [],
      transaction: transaction, generation: generation, basis: .savedState, previous: previous,
      lastSync: lastSync)
  }

  private func makePlan(
    desired combined: CombinedSources, current: DualStackSet, found: Table?, drifts: [Drift],
    transaction: Transaction, generation: UInt32, basis: Plan.Basis, previous: CombinedSources?,
    lastSync: LastSync?
  ) -> Plan {
    let desired = combined.set
    let added = desired.subtracting(current)
    let removed = current.subtracting(desired)
    let attribution = Attribution(
      ruleset: ruleset, found: found, drifts: drifts, current: current, desired: desired,
      added: added, removed: removed, lastSync: lastSync)
    return Plan(
      generation: generation, basis: basis, desired: desired, current: current,
      tableExists: found != nil, drifts: drifts, added: added.prefixes, removed: removed.prefixes,
      transaction: transaction, sources: ProvenanceIndex(combined, covering: added),
      previousSources: removed.isEmpty
        ? nil : previous.map { ProvenanceIndex($0, covering: removed) },
      unchangedCount: desired.v4.intersection(current.v4).prefixCount
        + desired.v6.intersection(current.v6).prefixCount,
      lastApplied: lastSync?.applied, foreign: attribution.foreign,
      configurationChange: attribution.configuration, sourceChanges: attribution.sources)
  }

  static func currentSet(_ state: TableState?, ruleset: GuardRuleset) -> DualStackSet {
    guard let elements = state?.elements else { return DualStackSet() }
    return DualStackSet(
      v4: IntervalSet(ranges: elements[ruleset.ipv4SetName]?.ipv4Ranges ?? []),
      v6: IntervalSet(ranges: elements[ruleset.ipv6SetName]?.ipv6Ranges ?? []))
  }
}
