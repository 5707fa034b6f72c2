import AddressSet
import AddressSources
import Foundation
import Netfilter

/// What a repair found and did.
public struct RepairReport: Sendable {
  /// The plan committed; nil when nothing needed repairing (or could be repaired).
  public var plan: Plan?
  public var generation: UInt32?
  /// Why nothing was repaired, when nothing was.
  public var skipped: String?

  public var repaired: Bool { plan != nil }

  /// What was put back, for the log line, the run record and `status`.
  public var summary: String {
    guard let plan else { return skipped ?? "nothing to repair" }
    var parts: [String] = []
    if !plan.tableExists {
      parts.append("created the table again (someone deleted it)")
    } else if !plan.foreign.structure.isEmpty {
      parts.append(
        "repaired \(plan.foreign.structure.count) drift(s): "
          + MessageLimit.list(plan.foreign.structure.map(\.description)))
    }
    if plan.tableExists, !plan.restored.isEmpty {
      parts.append(
        "put back \(CycleReport.prefixes(plan.restored)) someone removed: \(CycleReport.list(plan.restored))"
      )
    }
    if !plan.removedUnapplied.isEmpty {
      parts.append(
        "removed \(CycleReport.prefixes(plan.removedUnapplied)) nobody applied: \(CycleReport.list(plan.removedUnapplied))"
      )
    }
    if parts.isEmpty { parts.append("brought the table back to the last applied list") }
    return parts.joined(separator: ", ")
  }
}

extension Reconciler {
  /// Puts our table back to what the last sync applied, after someone else changed it: no
  /// source is fetched and no guard runs again (the list passed them when it was applied).
  /// The kernel is read and compared like in a cycle, and the repair is one batch guarded by
  /// the generation, retried like a cycle's commit. Nothing is done without a saved state of
  /// this boot and table, or after `teardown` removed the table. Call it with the run lock.
  public func repair() async throws(CycleError) -> RepairReport {
    let identity = environment.kernelIdentity()
    guard let header = try loadHeader(),
      header.belongs(toTable: ruleset.tableName, identity: identity)
    else {
      return RepairReport(skipped: "no sync of this boot saved what to put back")
    }
    if header.tableRemovedAt != nil {
      return RepairReport(skipped: "origin-guard teardown removed the table")
    }
    do throws(NetfilterError) {
      if try backend.generation() == header.generation {
        return RepairReport(generation: header.generation, skipped: "nothing changed")
      }
    } catch {
      throw .kernel(error)
    }
    guard let applied = savedApplied(header) else {
      return RepairReport(skipped: "the last applied list cannot be read back")
    }
    let desired = Self.lastApplied(applied, at: header.savedAt)
    let lastSync = LastSync(header, applied: applied)
    var retries = 0
    while true {
      let plan: Plan
      do throws(NetfilterError) {
        plan = try self.plan(
          fromKernel: Planner(ruleset: ruleset), desired, previous: nil, lastSync: lastSync)
      } catch .generationChanged {
        try await prepareRetry(&retries, after: "reading it")
        continue
      } catch {
        throw .kernel(error)
      }
      if plan.isInSync {
        try? store.updateGeneration(plan.generation, bootID: identity)
        return RepairReport(generation: plan.generation, skipped: "nothing changed")
      }
      if Task.isCancelled { throw .cancelled }
      let generation: UInt32
      do throws(NetfilterError) {
        generation = try applyPlanned(plan)
      } catch .generationChanged {
        try await prepareRetry(&retries, after: "planning")
        continue
      } catch {
        throw .kernel(error)
      }
      // The kernel acknowledged the batch. When someone committed again right after it (a
      // program deleting our table in a loop), comparing now would report their change as our
      // failure: their commit is announced and checked on its own.
      if (try? backend.generation()) == generation { try verify(plan) }
      do throws(StateError) {
        try store.updateGeneration(generation, bootID: identity)
      } catch {
        throw .appliedButNotSaved(
          error, directory: store.directory, added: plan.added.count, removed: plan.removed.count)
      }
      return RepairReport(plan: plan, generation: generation)
    }
  }

  /// The last applied list as the one "source" of a repair.
  private static func lastApplied(_ applied: DualStackSet, at date: Date) -> CombinedSources {
    let entries = applied.prefixes.map { SourceEntry(prefix: $0, origin: .configuration) }
    return CombinedSources([
      SourceResult(
        source: "last-applied", kind: .static, entries: entries, fetchedAt: date,
        version: SourceVersion(checksum: ""))
    ])
  }
}
