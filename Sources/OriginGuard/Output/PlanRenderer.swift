import AddressSet
import AddressSources
import Foundation

/// `plan` output: for people, every prefix with where it comes from; for machines, the same
/// as JSON with stable key order.
public enum PlanRenderer {
  /// - Parameter pendingNote: the closing line of a plan that was not applied.
  public static func text(
    _ report: CycleReport, table: String, pendingNote: String = "Not applied (plan only)."
  ) -> String {
    let plan = report.plan
    var lines: [String] = []
    let basis = plan.basis == .kernel ? "read from the kernel" : "saved state, generation unchanged"
    lines.append("table inet \(table): generation \(plan.generation) (\(basis))")
    if !plan.tableExists {
      lines.append(
        plan.foreign.tableDeleted
          ? "The table was deleted by someone else since our last sync (drift): it will be created again."
          : "The table does not exist yet: it will be created.")
    } else {
      if let change = plan.configurationChange {
        lines.append(
          "\(change.description.prefix(1).uppercased() + change.description.dropFirst()) since the last sync: the rules are replaced in the same atomic batch."
        )
      }
      if !plan.foreign.structure.isEmpty {
        lines.append(
          "Structure drift, repaired in the same atomic batch (someone else changed it):")
        lines += plan.foreign.structure.map { "  ! \($0)" }
      }
    }
    for former in plan.formerTables {
      lines.append("WARNING: \(FormerTable.warning(former, current: table))")
    }
    let width =
      (plan.added + plan.removed + plan.retained.map(\.prefix)).map(\.description.count).max() ?? 0
    func row(_ sign: String, _ prefix: AnyIPPrefix, _ provenance: [Provenance], none: String)
      -> String
    {
      let padded = prefix.description.padding(toLength: width, withPad: " ", startingAt: 0)
      let from =
        provenance.isEmpty
        ? none : MessageLimit.list(provenance.map(\.description), noun: "listings")
      return "  \(sign) \(padded)  \(from)"
    }
    let restored = plan.tableExists ? plan.restored : []
    let unapplied = plan.removedUnapplied
    let added = restored.isEmpty ? plan.added : plan.sourceChanges.added
    let removed = unapplied.isEmpty ? plan.removed : plan.sourceChanges.removed
    if !added.isEmpty {
      lines.append("Add \(count(added.count, "prefix", "prefixes")):")
      lines += added.map { row("+", $0, plan.provenance(of: $0), none: "") }
    }
    if !restored.isEmpty {
      lines.append(
        "Put back \(count(restored.count, "prefix", "prefixes")) origin-guard applied and someone else removed (drift):"
      )
      lines += restored.map { row("+", $0, plan.provenance(of: $0), none: "") }
    }
    if !removed.isEmpty {
      lines.append("Remove \(count(removed.count, "prefix", "prefixes")):")
      lines += removed.map {
        row("-", $0, plan.provenance(of: $0, removed: true), none: "no longer listed by any source")
      }
    }
    if !unapplied.isEmpty {
      lines.append(
        "Remove \(count(unapplied.count, "prefix", "prefixes")) nobody applied: elements someone else added (drift):"
      )
      let (shown, omitted) = MessageLimit.head(unapplied)
      lines += shown.map {
        row("-", $0, [], none: "not applied by origin-guard, listed by no source")
      }
      if omitted > 0 { lines.append("  and \(MessageLimit.grouped(omitted)) more") }
    }
    if !plan.retained.isEmpty {
      lines.append(
        "Keep \(count(plan.retained.count, "prefix", "prefixes")) no source lists any more, for their source's retain_removed:"
      )
      let (shown, omitted) = MessageLimit.head(plan.retained)
      lines += shown.map {
        row(
          "=", $0.prefix,
          [
            Provenance(
              source: $0.source, origin: .retained(removedAt: $0.removedAt, until: $0.until))
          ], none: "")
      }
      if omitted > 0 { lines.append("  and \(MessageLimit.grouped(omitted)) more") }
    }
    let notes = report.notes
    if !notes.isEmpty {
      lines.append("Changed by the parser (\(count(notes.count, "entry", "entries"))):")
      let (shown, omitted) = MessageLimit.head(notes)
      lines += shown.map { "  ~ \($0)" }
      if omitted > 0 { lines.append("  and \(MessageLimit.grouped(omitted)) more") }
    }
    let v4 = plan.desired.v4.prefixCount
    let v6 = plan.desired.v6.prefixCount
    lines.append(
      "Unchanged \(count(plan.unchangedCount, "prefix", "prefixes")); desired \(count(v4 + v6, "prefix", "prefixes")) (IPv4 \(v4), IPv6 \(v6))."
    )
    lines.append("Sources:")
    for outcome in report.outcomes {
      lines.append(
        "  \(outcome.name): \(outcome.status)" + (outcome.error.map { " — \($0)" } ?? ""))
      lines += (outcome.result?.pendingUpdates ?? []).map { "    \($0)" }
    }
    lines.append(
      plan.isInSync
        ? "In sync: nothing to do."
        : report.applied
          ? "Applied in one atomic batch (generation \(report.generation))."
          : pendingNote)
    if !report.overriddenRefusals.isEmpty {
      lines.append(
        "Forced past: " + MessageLimit.list(report.overriddenRefusals.map(\.description)))
    }
    return lines.joined(separator: "\n") + "\n"
  }

  public static func json(_ report: CycleReport, table: String) -> String {
    let plan = report.plan
    func change(_ prefix: AnyIPPrefix, removed: Bool) -> [String: Any] {
      let (shown, omitted) = MessageLimit.head(plan.provenance(of: prefix, removed: removed))
      var object: [String: Any] = [
        "prefix": prefix.description, "family": prefix.family.rawValue,
        "provenance": shown.map(provenanceObject),
      ]
      if omitted > 0 { object["provenance_omitted"] = omitted }
      return object
    }
    let (notes, notesOmitted) = MessageLimit.head(report.notes)
    var object: [String: Any] = [
      "table": table,
      "generation": Int(plan.generation),
      "basis": plan.basis.rawValue,
      "table_exists": plan.tableExists,
      "in_sync": plan.isInSync,
      "applied": report.applied,
      "drifts": plan.foreign.structure.map(\.description),
      "configuration_changes": plan.configurationChange?.settings ?? [],
      "drift_elements": [
        "unapplied_removed": plan.removedUnapplied.map(\.description),
        "restored": (plan.tableExists ? plan.restored : []).map(\.description),
      ],
      "table_deleted_by_someone_else": plan.foreign.tableDeleted,
      "former_tables": plan.formerTables,
      "shrink_baseline": plan.shrinkBaseline.kind.rawValue,
      "add": plan.added.map { change($0, removed: false) },
      "retained": plan.retained.map(retainedObject),
      "remove": plan.removed.map { change($0, removed: true) },
      "counts": [
        "add": plan.added.count, "remove": plan.removed.count, "unchanged": plan.unchangedCount,
        "retained": plan.retained.count,
        "desired_ipv4": plan.desired.v4.prefixCount, "desired_ipv6": plan.desired.v6.prefixCount,
      ],
      "sources": report.outcomes.map(sourceObject),
      "forced_past": report.overriddenRefusals.map(\.kind),
      "notes": notes.map(noteObject),
    ]
    if notesOmitted > 0 { object["notes_omitted"] = notesOmitted }
    return JSONText.encode(object)
  }

  static func provenanceObject(_ provenance: Provenance) -> [String: Any] {
    ["source": provenance.source, "origin": provenance.origin.description]
  }

  static func retainedObject(_ retained: RetainedPrefix) -> [String: Any] {
    [
      "prefix": retained.prefix.description, "family": retained.prefix.family.rawValue,
      "source": retained.source, "removed_at": retained.removedAt.formatted(.iso8601),
      "until": retained.until.formatted(.iso8601),
    ]
  }

  static func noteObject(_ note: EntryNote) -> [String: Any] {
    [
      "source": note.provenance.source, "origin": note.provenance.origin.description,
      "note": note.note.description, "prefix": note.prefix.description,
    ]
  }

  public static func pendingUpdateObject(_ update: PendingUpdate) -> [String: Any] {
    [
      "subject": update.subject, "added": update.added, "removed": update.removed,
      "since": update.since.formatted(.iso8601),
    ]
  }

  static func sourceObject(_ outcome: SourceOutcome) -> [String: Any] {
    var object: [String: Any] = ["name": outcome.name, "status": outcome.status]
    if let error = outcome.error { object["error"] = error.description }
    if let pending = outcome.result?.pendingUpdates, !pending.isEmpty {
      object["pending_updates"] = pending.map(pendingUpdateObject)
    }
    return object
  }

  static func count(_ n: Int, _ singular: String, _ plural: String) -> String {
    "\(n) \(n == 1 ? singular : plural)"
  }
}

/// JSON with sorted keys, so output is stable enough to diff and to compare with golden files.
public enum JSONText {
  public static func encode(_ object: Any) -> String {
    guard
      let data = try? JSONSerialization.data(
        withJSONObject: object, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
    else {
      return "{}"
    }
    return String(decoding: data, as: UTF8.self) + "\n"
  }
}
