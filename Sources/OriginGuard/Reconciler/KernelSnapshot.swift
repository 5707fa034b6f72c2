import AddressSet
import Foundation
import Netfilter

/// What the kernel holds for `status` and `check`, learned as cheaply as possible: from the
/// saved state while the generation shows nothing changed since our last commit, otherwise by
/// reading the kernel.
public struct KernelSnapshot: Sendable {
  public var generation: UInt32
  /// Nil when our table is missing.
  public var structure: TableState?
  public var set: DualStackSet
  public var drifts: [Drift]
  /// True when the kernel's sets equal the list the last sync saved.
  public var matchesSavedState: Bool?
  /// True when the contents came from the saved state rather than a read.
  public var fromSavedState: Bool
  public var header: StateHeader?
  /// What origin-guard itself last applied in this kernel; nil when no saved state belongs
  /// to it (`StateHeader.belongs`).
  public var lastApplied: DualStackSet?
  /// Tables of a former `table:` setting still in the kernel (`FormerTable`).
  public var formerTables: [String] = []

  /// The drifts someone else made, and what our configuration changed since the last sync
  /// (not applied yet): `drifts` split by whose they are.
  public func attributedDrifts(_ ruleset: GuardRuleset) -> (
    foreign: [Drift], configuration: ConfigurationChange?
  ) {
    let lastSync = lastApplied.map {
      LastSync(applied: $0, ruleset: header?.ruleset, tableRemovedAt: header?.tableRemovedAt)
    }
    return Attribution.structure(
      ruleset: ruleset, found: structure?.table, drifts: drifts, lastSync: lastSync)
  }

  /// Addresses in our sets origin-guard never applied, and addresses it applied that are
  /// gone: what someone else changed in the sets. Nil without a saved state of ours, or when
  /// the table is missing.
  public var foreignAddresses: (unapplied: [AnyIPPrefix], removed: [AnyIPPrefix])? {
    guard let lastApplied, structure != nil, !fromSavedState else { return nil }
    return (set.subtracting(lastApplied).prefixes, lastApplied.subtracting(set).prefixes)
  }

  /// When `teardown` removed our table, while it is still missing.
  public var removedByTeardownAt: Date? { structure == nil ? header?.tableRemovedAt : nil }

  /// True when the kernel holds the list a sync of ours applied but could not save (a full
  /// disk): not someone else's change.
  public var matchesUnsavedApply = false

  /// Throws a `NetfilterError`, or a `StateError` when the state directory is someone else's.
  public static func read(
    ruleset: GuardRuleset, backend: any NetfilterBackend, store: StateStore, identity: String
  ) throws -> KernelSnapshot {
    let header: StateHeader?
    do {
      header = try store.loadHeader()
    } catch .unsafe(let problem) {
      throw StateError.unsafe(problem)
    } catch {
      header = nil  // corrupt: as if there were none, as a sync treats it
    }
    let belongs = header?.belongs(toTable: ruleset.tableName, identity: identity) ?? false
    let formerTables = FormerTable.stillInstalled(
      header: header, current: ruleset.tableName, backend: backend)
    let generation = try backend.generation()
    let structure = try backend.readTableRetrying(named: ruleset.tableName, withElements: false)
    let drifts = ruleset.table.drifts(from: structure?.table)
    if let header, let structure, drifts.isEmpty, belongs, header.generation == generation,
      let applied = try? store.loadApplied(header)
    {
      return KernelSnapshot(
        generation: generation, structure: structure, set: applied, drifts: drifts,
        matchesSavedState: true, fromSavedState: true, header: header, lastApplied: applied,
        formerTables: formerTables)
    }
    let full = try backend.readTableRetrying(named: ruleset.tableName, withElements: true)
    let set = Planner.currentSet(full, ruleset: ruleset)
    let saved = header.flatMap { try? store.loadApplied($0) }
    var snapshot = KernelSnapshot(
      generation: full?.generation ?? generation, structure: full, set: set,
      drifts: ruleset.table.drifts(from: full?.table), matchesSavedState: saved.map { $0 == set },
      fromSavedState: false, header: header, lastApplied: belongs ? saved : nil,
      formerTables: formerTables)
    if snapshot.matchesSavedState != true, let unsaved = store.unsavedChecksum() {
      snapshot.matchesUnsavedApply = StateStore.checksum(of: set) == unsaved
    }
    return snapshot
  }
}
