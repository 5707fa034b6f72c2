import AddressSet
import AddressSources
import Foundation

/// What one cycle found and did.
public struct CycleReport: Sendable {
  public var plan: Plan
  public var outcomes: [SourceOutcome]
  /// Each source's list as this cycle allows it: what it fetched (or its last-known-good list)
  /// plus the prefixes `retain_removed` still keeps. What outputs filtered by source render,
  /// so that a web server trusts every node the firewall lets in.
  public var allowedResults: [SourceResult]
  /// True when a batch was committed (false for `plan`, and for a sync that found nothing to do).
  public var applied: Bool
  /// The ruleset generation after the cycle.
  public var generation: UInt32
  public var duration: Duration
  /// Size guards that refused but were overridden with `--force`.
  public var overriddenRefusals: [GuardRefusal]
  /// How often the ruleset changed under us before the commit went through.
  public var generationRetries: Int
  /// True when the commit put back what someone else changed in our table (structure, the
  /// table itself, or set elements) since our last sync: `plan.foreign`. A changed
  /// configuration or source is not drift.
  public var repairedDrift = false
  /// Pending updates this sync confirmed, or tried to (`confirm_after`).
  public var confirmations: [UpdateConfirmation] = []

  /// What the parser changed in the entries of this cycle's lists (host bits masked,
  /// IPv4-mapped addresses read as IPv4).
  public var notes: [EntryNote] { outcomes.flatMap { $0.result?.notes ?? [] } }

  /// One line for logs and people: what changed, from what, how long it took.
  public var summary: String {
    let sources = outcomes.map { "\($0.name)=\($0.status)" }.joined(separator: " ")
    var parts = [
      "added \(plan.added.count)", "removed \(plan.removed.count)",
      "unchanged \(plan.unchangedCount) prefixes",
    ]
    let done = applied || plan.isInSync
    if !plan.tableExists {
      parts.append(
        (applied ? "created the table" : "table to create")
          + (plan.foreign.tableDeleted ? " (someone deleted it: drift)" : ""))
    } else if !plan.foreign.structure.isEmpty {
      parts.append(
        done
          ? "repaired \(plan.foreign.structure.count) drift(s)"
          : "\(plan.foreign.structure.count) drift(s) to repair")
    }
    if let change = plan.configurationChange, plan.tableExists {
      parts.append("\(change); " + (done ? "rules updated" : "rules to update"))
    }
    let unapplied = plan.removedUnapplied
    if !unapplied.isEmpty {
      parts.append(
        "\(done ? "removed" : "to remove") \(Self.prefixes(unapplied)) nobody applied: \(Self.list(unapplied)) (drift)"
      )
    }
    let restored = plan.tableExists ? plan.restored : []
    if !restored.isEmpty {
      parts.append(
        "\(done ? "put back" : "to put back") \(Self.prefixes(restored)) someone removed: \(Self.list(restored)) (drift)"
      )
    }
    for confirmation in confirmations {
      switch confirmation.result {
      case .success(.confirmed): parts.append("confirmed \(confirmation.update.subject)'s update")
      case .success(.notSent):
        parts.append("did not confirm \(confirmation.update.subject)'s update")
      case .failure: parts.append("confirming \(confirmation.update.subject)'s update failed")
      }
    }
    if !plan.retained.isEmpty {
      parts.append(
        "kept \(Self.prefixes(plan.retained.map(\.prefix))) no source lists any more (retain_removed)"
      )
    }
    parts.append("sources: \(sources)")
    if !overriddenRefusals.isEmpty {
      parts.append("forced past \(overriddenRefusals.map(\.kind).joined(separator: ","))")
    }
    parts.append(
      "\(Int((Double(duration.components.attoseconds) / 1e15 + Double(duration.components.seconds) * 1000).rounded())) ms"
    )
    for table in plan.formerTables {
      parts.append(
        "WARNING: table inet \(table) of a former `table:` setting still filters with a stale list")
    }
    return (done ? "" : "pending: ") + parts.joined(separator: ", ")
  }

  /// How many prefixes are listed inline before "and N more": a summary is one log line.
  public static let listedPrefixes = 5

  public static func prefixes(_ list: [AnyIPPrefix]) -> String {
    list.count == 1 ? "1 prefix" : "\(list.count) prefixes"
  }

  public static func list(_ list: [AnyIPPrefix]) -> String {
    let shown = list.prefix(listedPrefixes).map(\.description).joined(separator: ", ")
    return list.count > listedPrefixes ? shown + " and \(list.count - listedPrefixes) more" : shown
  }
}
