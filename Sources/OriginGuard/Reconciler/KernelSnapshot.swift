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
    let generation = try backend.generation()
    let structure = try backend.readTable(named: ruleset.tableName, withElements: false)
    let drifts = ruleset.table.drifts(from: structure?.table)
    if let header, let structure, drifts.isEmpty, header.table == ruleset.tableName,
      header.bootID == identity, header.generation == generation,
      let applied = try? store.loadApplied(header)
    {
      return KernelSnapshot(
        generation: generation, structure: structure, set: applied, drifts: drifts,
        matchesSavedState: true, fromSavedState: true, header: header)
    }
    let full = try backend.readTable(named: ruleset.tableName, withElements: true)
    let set = Planner.currentSet(full, ruleset: ruleset)
    let saved = header.flatMap { try? store.loadApplied($0) }
    var snapshot = KernelSnapshot(
      generation: full?.generation ?? generation, structure: full, set: set,
      drifts: ruleset.table.drifts(from: full?.table), matchesSavedState: saved.map { $0 == set },
      fromSavedState: false, header: header)
    if snapshot.matchesSavedState != true, let unsaved = store.unsavedChecksum() {
      snapshot.matchesUnsavedApply = StateStore.checksum(of: set) == unsaved
    }
    return snapshot
  }
}
