import AddressSet
import AddressSources
import ArgumentParser
import Foundation
import Netfilter
import OriginGuard

struct StatusCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "status",
    abstract: "Show what is in the kernel, whether it matches the last sync, and how the sources fare.",
    discussion: """
      Examples:
        origin-guard status
        origin-guard status --json
      """)

  @OptionGroup var global: GlobalOptions

  @Flag(help: "Print JSON instead of text.")
  var json = false

  func run() async throws {
    let context = try await CommandContext.make(global)
    let ruleset = context.configuration.ruleset
    let snapshot: KernelSnapshot
    do {
      snapshot = try KernelSnapshot.read(
        ruleset: ruleset, backend: context.backend, store: context.store,
        identity: context.environment.kernelIdentity())
    } catch {
      context.console.error("origin-guard: \(error)")
      throw OriginGuard.ExitCode.failure.asExit
    }
    let drops = try? context.backend.dropCounter(table: ruleset.tableName, chain: ruleset.guardChainName)
    let record: RunRecord
    do {
      record = try context.store.loadRunRecord()
    } catch {
      context.console.error("origin-guard: \(error)")
      throw OriginGuard.ExitCode.failure.asExit
    }
    // Damaged or missing, the next sync rebuilds it; status only counts what it holds.
    let grace = (try? context.store.loadGrace()) ?? nil
    let watch = (try? context.store.loadWatchRecord()) ?? nil
    let status = StatusReport(
      configuration: context.configuration, snapshot: snapshot, drops: drops, record: record,
      grace: grace ?? RemovalGrace(), watch: watch, now: Date())
    Console.print(json ? status.json : status.text)
  }
}

/// The figures `status` prints.
struct StatusReport {
  let configuration: Configuration
  let snapshot: KernelSnapshot
  let drops: Netfilter.Counter?
  let record: RunRecord
  /// What the sources stopped listing and the last sync kept (`retain_removed`).
  let grace: RemovalGrace
  /// What `origin-guard run` recorded of its watch of the ruleset; nil when no daemon ran.
  var watch: WatchRecord? = nil
  let now: Date

  /// How many prefixes `source` no longer lists are still allowed, and until when the first
  /// of them is; nil when none.
  func retained(_ source: SourceConfig) -> (count: Int, firstUntil: Date)? {
    guard let removals = grace.sources[source.name], let first = removals.first else { return nil }
    let count = removals.reduce(DualStackSet()) { $0.union($1.set) }.prefixCount
    let until = first.removedAt.addingTimeInterval(
      TimeInterval(configuration.retainRemoved(for: source).components.seconds))
    return (count, until)
  }

  var table: String { configuration.ruleset.tableName }

  var text: String {
    var lines: [String] = []
    let attributed = snapshot.attributedDrifts(configuration.ruleset)
    if let removedAt = snapshot.removedByTeardownAt {
      lines.append("table inet \(table): removed by origin-guard teardown at \(describe(removedAt)) — the guarded ports are open to everyone. Run `origin-guard sync` to put it back.")
    } else if snapshot.structure == nil {
      lines.append("table inet \(table): MISSING — the guarded ports are open to everyone. Run `origin-guard sync`.")
    } else {
      lines.append("table inet \(table): present, generation \(snapshot.generation)")
      lines.append(
        "  IPv4: \(snapshot.set.v4.prefixCount) prefixes (\(snapshot.set.v4.ranges.count) ranges); IPv6: \(snapshot.set.v6.prefixCount) prefixes (\(snapshot.set.v6.ranges.count) ranges)")
      if let drops { lines.append("  dropped: \(drops.packets) packets, \(drops.bytes) bytes") }
      lines += attributed.foreign.map { "  DRIFT: \($0)" }
      if let change = attributed.configuration {
        lines.append("  \(change) since the last sync; `origin-guard sync` updates the rules")
      }
    }
    for former in snapshot.formerTables {
      lines.append("WARNING: \(FormerTable.warning(former, current: table))")
    }
    switch snapshot.matchesSavedState {
    case _ where snapshot.matchesUnsavedApply:
      lines.append("matches the last sync's list: yes, but that sync could not save it (see last attempt): until a sync saves it, a reboot restores the previous list. Free space in \(configuration.stateDirectory) and run `origin-guard sync`.")
    case true?: lines.append("matches the last sync's list: yes" + (snapshot.fromSavedState ? " (generation unchanged)" : ""))
    case false? where snapshot.removedByTeardownAt != nil:
      lines.append("matches the last sync's list: no — origin-guard teardown removed the table; the last-known-good lists are kept for `origin-guard sync --from-cache`")
    case false?:
      var detail = ""
      if let (unapplied, removed) = snapshot.foreignAddresses {
        var parts: [String] = []
        if !unapplied.isEmpty { parts.append("\(CycleReport.prefixes(unapplied)) nobody applied (\(CycleReport.list(unapplied)))") }
        if !removed.isEmpty { parts.append("\(CycleReport.prefixes(removed)) of ours removed (\(CycleReport.list(removed)))") }
        detail = parts.isEmpty ? "" : ": " + parts.joined(separator: ", ") + "; the next sync repairs it (drift)"
      }
      lines.append("matches the last sync's list: NO — someone changed the set\(detail); `origin-guard plan` shows the difference")
    case nil: lines.append("matches the last sync's list: unknown (no saved state)")
    }
    lines.append("last success: \(record.lastSuccessAt.map(describe) ?? "never")")
    if let attempted = record.attemptedAt {
      lines.append("last attempt: \(describe(attempted)): \(record.result ?? "?")" + (record.result == "success" ? "" : " — \(record.message ?? "")"))
    }
    lines += watchLines
    lines.append("sources:")
    for source in configuration.sources {
      let saved = snapshot.header?.sources[source.name]
      let run = record.sources[source.name]
      var line = "  \(source.name) (\(source.kind)): "
      line += saved.map { "last good list \(describe($0.fetchedAt)), \($0.list.count) entries" } ?? "no good list yet"
      if let run { line += "; last run: \(run.status)" }
      if let error = run?.lastError, let at = run?.lastErrorAt { line += "; last error \(describe(at)): \(error)" }
      lines.append(line)
      lines += (saved?.pendingUpdates ?? []).map { "    \($0)" }
      if case let (count, until)? = retained(source) {
        lines.append(
          "    keeps \(count == 1 ? "1 prefix" : "\(count) prefixes") it no longer lists (retain_removed), the first until \(iso(until))"
        )
      }
    }
    return lines.joined(separator: "\n") + "\n"
  }

  var json: String {
    var object: [String: Any] = [
      "table": table,
      "table_present": snapshot.structure != nil,
      "generation": Int(snapshot.generation),
      "drifts": snapshot.attributedDrifts(configuration.ruleset).foreign.map(\.description),
      "configuration_changes": snapshot.attributedDrifts(configuration.ruleset).configuration?.settings ?? [],
      "former_tables": snapshot.formerTables,
      "prefixes": ["ipv4": snapshot.set.v4.prefixCount, "ipv6": snapshot.set.v6.prefixCount],
      "ranges": ["ipv4": snapshot.set.v4.ranges.count, "ipv6": snapshot.set.v6.ranges.count],
    ]
    if let matches = snapshot.matchesSavedState { object["matches_saved_state"] = matches }
    if let removedAt = snapshot.removedByTeardownAt { object["removed_by_teardown_at"] = iso(removedAt) }
    if snapshot.matchesUnsavedApply { object["matches_unsaved_apply"] = true }
    if let drops { object["dropped"] = ["packets": drops.packets, "bytes": drops.bytes] }
    if let success = record.lastSuccessAt { object["last_success"] = iso(success) }
    if let attempted = record.attemptedAt {
      object["last_attempt"] = ["at": iso(attempted), "result": record.result ?? "", "message": record.message ?? ""]
    }
    object["watch"] = watchObject
    object["sources"] = configuration.sources.map { source -> [String: Any] in
      var entry: [String: Any] = ["name": source.name, "type": source.kind.rawValue]
      if let saved = snapshot.header?.sources[source.name] {
        entry["last_good_at"] = iso(saved.fetchedAt)
        entry["age_seconds"] = Int(now.timeIntervalSince(saved.fetchedAt))
        entry["entries"] = saved.list.count
        if let pending = saved.pendingUpdates { entry["pending_updates"] = pending.map(PlanRenderer.pendingUpdateObject) }
      }
      if case let (count, until)? = retained(source) {
        entry["retained"] = ["prefixes": count, "first_until": iso(until)]
      }
      if let run = record.sources[source.name] {
        entry["last_status"] = run.status
        if let error = run.lastError { entry["last_error"] = error }
      }
      return entry
    }
    return JSONText.encode(object)
  }

  func describe(_ date: Date) -> String {
    "\(iso(date)) (\(DurationText.describe(.seconds(max(0, now.timeIntervalSince(date))))) ago)"
  }

  func iso(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }
}

extension StatusReport {
  /// Whether a daemon follows the ruleset's events, and its last repair.
  var watchLines: [String] {
    var lines: [String] = []
    switch watch {
    case let watch? where watch.isRunning && watch.subscribed:
      lines.append(
        "daemon: watching the ruleset since \(describe(watch.since)) (pid \(watch.pid)): changes to our table are repaired within milliseconds"
      )
    case let watch? where watch.isRunning:
      lines.append(
        "daemon: running since \(describe(watch.since)) (pid \(watch.pid)) but NOT receiving ruleset events: changes to our table wait for its next cycle"
      )
    case let watch?:
      lines.append(
        "daemon: not running (the last one \(watch.stoppedAt.map { "stopped \(describe($0))" } ?? "ended without stopping")): changes to our table wait for the next sync"
      )
    case nil:
      lines.append("daemon: not running: changes to our table wait for the next sync")
    }
    if let repair = watch?.lastRepair {
      lines.append(
        "last repair: \(describe(repair.at)), by \(repair.trigger == .event ? "an event" : "a cycle"): \(repair.what)"
          + (repair.exposureSeconds.map { "; exposed for \(DurationText.describe(.seconds($0)))" } ?? ""))
    }
    return lines
  }

  var watchObject: [String: Any] {
    var object: [String: Any] = [
      "watching": watch.map { $0.isRunning && $0.subscribed } ?? false,
      "running": watch?.isRunning ?? false,
    ]
    guard let watch else { return object }
    object["pid"] = Int(watch.pid)
    object["since"] = iso(watch.since)
    if let stopped = watch.stoppedAt { object["stopped_at"] = iso(stopped) }
    object["event_repairs_total"] = watch.eventRepairsTotal
    if let repair = watch.lastRepair {
      var last: [String: Any] = [
        "at": iso(repair.at), "trigger": repair.trigger.rawValue, "what": repair.what,
      ]
      if let exposure = repair.exposureSeconds { last["exposure_seconds"] = exposure }
      object["last_repair"] = last
    }
    return object
  }
}
