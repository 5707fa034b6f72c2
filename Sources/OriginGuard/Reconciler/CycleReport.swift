import AddressSources
import Foundation

/// What one cycle found and did.
public struct CycleReport: Sendable {
  public var plan: Plan
  public var outcomes: [SourceOutcome]
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
  /// table itself, or set elements) since our last sync.
  public var repairedDrift = false

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
    if !plan.tableExists {
      parts.append(applied ? "created the table" : "table to create")
    } else if !plan.drifts.isEmpty {
      parts.append("repaired \(plan.drifts.count) drift(s)")
    }
    parts.append("sources: \(sources)")
    if !overriddenRefusals.isEmpty {
      parts.append("forced past \(overriddenRefusals.map(\.kind).joined(separator: ","))")
    }
    parts.append(
      "\(Int((Double(duration.components.attoseconds) / 1e15 + Double(duration.components.seconds) * 1000).rounded())) ms"
    )
    return (applied || plan.isInSync ? "" : "pending: ") + parts.joined(separator: ", ")
  }
}
