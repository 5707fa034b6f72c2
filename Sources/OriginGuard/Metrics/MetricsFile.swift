import AddressSet
import Foundation
import Netfilter
import Prometheus

/// The Prometheus text file for node_exporter's textfile collector, rewritten atomically after
/// every cycle so the collector never reads half a file.
public struct MetricsFile: Sendable {
  public let path: String

  public init(path: String) {
    self.path = path
  }

  /// What the kernel holds, per family.
  public struct KernelFigures: Sendable {
    public var elements: [AddressFamily: Int] = [:]
    public var prefixes: [AddressFamily: Int] = [:]
    public var dropCounter: Netfilter.Counter?

    public init() {}
  }

  /// `outputs`: the configured outputs' names, whose `ledger` entries give their counters.
  /// - Parameter watch: the daemon's watch record, for its repairs triggered by events.
  public func write(
    record: RunRecord, kernel: KernelFigures, outputs: [String] = [],
    ledger: OutputLedger = OutputLedger(), watch: WatchRecord? = nil
  ) throws(StateError) {
    let registry = PrometheusCollectorRegistry()
    // The unit is already part of each name (`_seconds`, `_total`).
    func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor {
      MetricNameDescriptor(
        namespace: "origin_guard", metricName: name, unitName: "", helpText: help)
    }
    func gauge(_ name: String, _ help: String, _ value: Double?, labels: [(String, String)] = []) {
      guard let value else { return }
      registry.makeGauge(descriptor: descriptor(name, help), labels: labels).set(value)
    }
    // Cumulative figures kept in the run record (or the kernel's counter): Prometheus counters.
    func counter(_ name: String, _ help: String, _ value: UInt64, labels: [(String, String)] = []) {
      registry.makeCounter(descriptor: descriptor(name, help), labels: labels).increment(
        by: Int64(clamping: value))
    }
    gauge(
      "last_success_timestamp_seconds", "Unix time of the last successful sync.",
      record.lastSuccessAt?.timeIntervalSince1970)
    gauge(
      "last_attempt_timestamp_seconds", "Unix time of the last sync attempt.",
      record.attemptedAt?.timeIntervalSince1970)
    for result in ["success", "refused", "source_failed", "locked", "error"] {
      gauge(
        "last_attempt_result", "1 for the result of the last attempt, 0 for the others.",
        record.result == result ? 1 : 0, labels: [("result", result)])
    }
    gauge("last_duration_seconds", "Duration of the last attempt.", record.durationSeconds)
    gauge(
      "last_change_added_prefixes", "Prefixes added by the last change.", Double(record.lastAdded))
    gauge(
      "last_change_removed_prefixes", "Prefixes removed by the last change.",
      Double(record.lastRemoved))
    gauge(
      "last_change_timestamp_seconds", "Unix time of the last change applied.",
      record.lastChangeAt?.timeIntervalSince1970)
    for family in AddressFamily.allCases {
      gauge(
        "set_elements", "Interval elements (ranges) in the kernel set.",
        kernel.elements[family].map(Double.init), labels: [("family", family.rawValue)])
      gauge(
        "set_prefixes", "CIDR prefixes in the kernel set.",
        kernel.prefixes[family].map(Double.init), labels: [("family", family.rawValue)])
    }
    for (name, source) in record.sources.sorted(by: { $0.key < $1.key }) {
      let labels = [("source", name)]
      gauge(
        "source_up", "1 when the source was fetched in the last attempt.",
        source.status == "fresh" || source.status == "unchanged" ? 1 : 0, labels: labels)
      gauge(
        "source_using_cache", "1 when the source's last-known-good list stood in.",
        source.status == "cache" ? 1 : 0, labels: labels)
      counter(
        "source_errors_total", "Failed fetches of the source.", UInt64(source.errorsTotal),
        labels: labels)
      counter(
        "source_cache_fallbacks_total", "Runs that used the source's last-known-good list.",
        UInt64(source.cacheFallbacksTotal), labels: labels)
    }
    let repairs: [WatchRecord.Trigger: Int] = [
      .cycle: record.driftRepairsTotal, .event: watch?.eventRepairsTotal ?? 0,
    ]
    for trigger in WatchRecord.Trigger.allCases {
      counter(
        "drift_repairs_total",
        "Repairs of what someone else changed in our table: by a sync (cycle) or right after the change (event).",
        UInt64(repairs[trigger] ?? 0), labels: [("trigger", trigger.rawValue)])
    }
    for (kind, count) in record.guardRefusalsTotal.sorted(by: { $0.key < $1.key }) {
      counter(
        "guard_refusals_total", "Lists refused by a guard.", UInt64(count),
        labels: [("guard", kind)])
    }
    for name in outputs {
      counter(
        "output_errors_total",
        "Times an output was not brought up to date: not written, its check or on_change failed.",
        UInt64(ledger.outputs[name]?.errorsTotal ?? 0), labels: [("output", name)])
    }
    if let drops = kernel.dropCounter {
      counter(
        "dropped_packets_total",
        "Packets to the guarded ports dropped (counter in the guard chain).", drops.packets)
      counter("dropped_bytes_total", "Bytes to the guarded ports dropped.", drops.bytes)
    }
    let directory = (path as NSString).deletingLastPathComponent
    if !directory.isEmpty { try AtomicFile.makeDirectory(directory) }
    var text = registry.emitToBuffer()
    text += Self.exposureSummary(watch).utf8
    try AtomicFile.write(Data(text), to: path, mode: 0o644, durable: false)
  }
}

extension MetricsFile {
  /// How long our table stayed changed before an event repair put it back, as a summary
  /// (sum and count) kept in the watch record across the daemon's life.
  static func exposureSummary(_ watch: WatchRecord?) -> String {
    let name = "origin_guard_drift_exposure_seconds"
    return """
      # HELP \(name) Time from noticing someone else's change to our table to the repair's commit.
      # TYPE \(name) summary
      \(name)_sum \(watch?.exposureSecondsTotal ?? 0)
      \(name)_count \(watch?.eventRepairsTotal ?? 0)

      """
  }
}
