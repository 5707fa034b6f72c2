import Foundation
import Logging
import Netfilter

#if canImport(Glibc)
  import Glibc
#endif

/// Keeps `watch.json` and the metrics file up to date for `origin-guard run`: that a daemon
/// watches the ruleset, and each repair it made.
public struct WatchRecorder: Sendable {
  public let store: StateStore
  public let metrics: MetricsFile?
  public let ruleset: GuardRuleset
  public let backend: any NetfilterBackend
  public let logger: Logger

  public init(configuration: Configuration, backend: any NetfilterBackend, logger: Logger) {
    store = StateStore(directory: configuration.stateDirectory)
    metrics = configuration.metricsFile.map(MetricsFile.init)
    ruleset = configuration.ruleset
    self.backend = backend
    self.logger = logger
  }

  /// A daemon starts: its process, and whether it receives events. The counters and the last
  /// repair of earlier daemons are kept.
  public func started(subscribed: Bool, at date: Date) {
    update { old in
      var record = WatchRecord(
        pid: getpid(), bootID: BootID.current(), since: date, subscribed: subscribed)
      if let old {
        record.eventRepairsTotal = old.eventRepairsTotal
        record.exposureSecondsTotal = old.exposureSecondsTotal
        record.lastRepair = old.lastRepair
      }
      return record
    }
  }

  public func stopped(at date: Date) {
    update { old in
      guard var record = old, record.pid == getpid() else { return old }
      record.stoppedAt = date
      return record
    }
  }

  /// Records a repair: an event repair counts with its exposure, a cycle's drift repair is
  /// counted by the run record and only named here as the last repair.
  public func recordRepair(
    what: String, trigger: WatchRecord.Trigger, exposure: Duration?, at date: Date
  ) {
    let seconds = exposure.map {
      Double($0.components.seconds) + Double($0.components.attoseconds) * 1e-18
    }
    let record = update { old in
      guard var record = old else { return nil }
      if trigger == .event {
        record.eventRepairsTotal += 1
        record.exposureSecondsTotal += seconds ?? 0
      }
      record.lastRepair = WatchRecord.Repair(
        at: date, trigger: trigger, what: what, exposureSeconds: seconds)
      return record
    }
    guard trigger == .event, let metrics else { return }
    do {
      var figures = MetricsFile.KernelFigures()
      figures.dropCounter = try? backend.dropCounter(
        table: ruleset.tableName, chain: ruleset.guardChainName)
      // A repair puts back the last applied list: the saved state tells the set sizes.
      if let header = (try? store.loadHeader()) ?? nil, let applied = try? store.loadApplied(header)
      {
        figures.elements = [.ipv4: applied.v4.ranges.count, .ipv6: applied.v6.ranges.count]
        figures.prefixes = [.ipv4: applied.v4.prefixCount, .ipv6: applied.v6.prefixCount]
      }
      try metrics.write(record: try store.loadRunRecord(), kernel: figures, watch: record)
    } catch {
      logger.error("\(error)")
    }
  }

  @discardableResult
  private func update(_ change: (WatchRecord?) -> WatchRecord?) -> WatchRecord? {
    let old = (try? store.loadWatchRecord()) ?? nil
    guard let new = change(old) else { return nil }
    do {
      try store.saveWatchRecord(new)
    } catch {
      logger.error("\(error)")
    }
    return new
  }
}
