import AddressSet
import Netfilter

/// Splits a plan's differences by whose they are: someone else's (drift), our
/// configuration's, or the sources'. The one place that decides it, for `sync`, `plan`, the
/// drift counter and `status` alike.
struct Attribution {
  var foreign = ForeignChanges()
  var configuration: ConfigurationChange?
  var sources = SourceChanges()

  /// - Parameters:
  ///   - found: our table's structure as the kernel holds it; nil when it is missing.
  ///   - drifts: how `found` differs from the configuration's table.
  ///   - added, removed: the plan's address changes (`desired − current`, `current − desired`).
  init(
    ruleset: GuardRuleset, found: Table?, drifts: [Drift], current: DualStackSet,
    desired: DualStackSet, added: DualStackSet, removed: DualStackSet, lastSync: LastSync?
  ) {
    (foreign.structure, configuration) = Self.structure(
      ruleset: ruleset, found: found, drifts: drifts, lastSync: lastSync)
    guard let lastSync, lastSync.tableRemovedAt == nil || found != nil else {
      sources = SourceChanges(added: added.prefixes, removed: removed.prefixes)
      return
    }
    if found != nil {
      foreign.unappliedAddresses = current.subtracting(lastSync.applied)
      foreign.removedAddresses = lastSync.applied.subtracting(current)
    }
    sources = SourceChanges(
      added: added.subtracting(lastSync.applied).prefixes,
      removed: removed.subtracting(foreign.unappliedAddresses).prefixes)
  }

  /// Structure differences are our configuration's when the kernel holds exactly the table
  /// our last sync installed (rebuilt from the settings it recorded), someone else's when it
  /// holds anything else. A missing table is drift when a sync of ours installed it in this
  /// kernel and no `teardown` removed it; otherwise it is simply not installed yet. Without a
  /// record of what we installed, a table that exists with another structure counts as drift:
  /// a missed tampering is worse than one alert too many.
  static func structure(
    ruleset: GuardRuleset, found: Table?, drifts: [Drift], lastSync: LastSync?
  ) -> ([Drift], ConfigurationChange?) {
    guard !drifts.isEmpty else { return ([], nil) }
    guard let found else {
      return (lastSync != nil && lastSync?.tableRemovedAt == nil ? drifts : [], nil)
    }
    guard let record = lastSync?.ruleset, let installed = record.ruleset else {
      return (drifts, nil)
    }
    let intended = RulesetRecord(ruleset)
    let configuration =
      record == intended ? nil : ConfigurationChange(settings: record.changes(to: intended))
    let sinceInstalled = installed.table.drifts(from: found)
    return (configuration == nil ? drifts : sinceInstalled, configuration)
  }
}

extension DualStackSet {
  func subtracting(_ other: DualStackSet) -> DualStackSet {
    DualStackSet(v4: v4.subtracting(other.v4), v6: v6.subtracting(other.v6))
  }

  func intersection(_ other: DualStackSet) -> DualStackSet {
    DualStackSet(v4: v4.intersection(other.v4), v6: v6.intersection(other.v6))
  }
}
