import AddressSet
import AddressSources
import Foundation
import Logging
import Netfilter

/// After every cycle, failed or not: updates the run record, rewrites the metrics file and
/// logs the one summary line; after a successful one, brings the `outputs:` up to date first.
public struct CycleRecorder: Sendable {
  public let store: StateStore
  public let metrics: MetricsFile?
  public let ruleset: GuardRuleset
  public let backend: any NetfilterBackend
  public let logger: Logger
  public let outputs: OutputRefresher

  public init(configuration: Configuration, backend: any NetfilterBackend, logger: Logger) {
    outputs = OutputRefresher(configuration: configuration, logger: logger)
    store = StateStore(directory: configuration.stateDirectory)
    metrics = configuration.metricsFile.map(MetricsFile.init)
    ruleset = configuration.ruleset
    self.backend = backend
    self.logger = logger
  }

  public func record(_ outcome: Result<CycleReport, CycleError>, at date: Date, duration: Duration)
  {
    // Unreadable or someone else's: start afresh (saving it then says what is wrong).
    var record = (try? store.loadRunRecord()) ?? RunRecord()
    record.attemptedAt = date
    record.durationSeconds =
      Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    let result: String
    var outputLedger: OutputLedger?
    switch outcome {
    case .success(let report):
      result = "success"
      outputLedger = outputs.refresh(after: report, at: date)
      record.message = report.summary
      record.lastSuccessAt = date
      if report.applied {
        record.lastChangeAt = date
        record.lastAdded = report.plan.added.count
        record.lastRemoved = report.plan.removed.count
        if report.repairedDrift { record.driftRepairsTotal += 1 }
      }
      update(&record, outcomes: report.outcomes, at: date)
      logger.info("sync: \(report.summary)")
    case .failure(let error):
      result = Self.resultName(error)
      record.message = error.description
      switch error {
      case .sourcesFailed(let outcomes): update(&record, outcomes: outcomes, at: date)
      case .refused(let refusals, _):
        for refusal in refusals { record.guardRefusalsTotal[refusal.kind, default: 0] += 1 }
      case .appliedButNotSaved(_, _, let added, let removed):
        record.lastChangeAt = date
        record.lastAdded = added
        record.lastRemoved = removed
      default: break
      }
      logger.error("sync failed: \(error)")
    }
    record.result = result
    record.runsTotal[result, default: 0] += 1
    do {
      try store.saveRunRecord(record)
      try metrics?.write(
        record: record, kernel: kernelFigures(after: outcome),
        outputs: outputs.outputs.map(\.name), ledger: outputLedger ?? outputs.loadLedger(),
        watch: (try? store.loadWatchRecord()) ?? nil)
    } catch {
      logger.error("\(error)")
    }
  }

  static func resultName(_ error: CycleError) -> String {
    switch error {
    case .sourcesFailed, .noCache: "source_failed"
    case .refused: "refused"
    case .state(.locked), .state(.bootstrapWaiting): "locked"
    default: "error"
    }
  }

  private func update(_ record: inout RunRecord, outcomes: [SourceOutcome], at date: Date) {
    for outcome in outcomes {
      var source =
        record.sources[outcome.name]
        ?? RunRecord.SourceRecord(status: "", errorsTotal: 0, cacheFallbacksTotal: 0)
      switch outcome {
      case .fresh(let result): source.status = result.unchanged ? "unchanged" : "fresh"
      case .cached(_, _, let error):
        source.status = "cache"
        source.cacheFallbacksTotal += 1
        if error != nil { source.errorsTotal += 1 }
      case .failed:
        source.status = "failed"
        source.errorsTotal += 1
      }
      if let error = outcome.error {
        source.lastError = error.description
        source.lastErrorAt = date
      }
      record.sources[outcome.name] = source
    }
  }

  /// Counts from the kernel, cheaply: the counter without the (slow) elements. After a
  /// success the kernel holds the plan's list; otherwise the saved state tells the set sizes.
  private func kernelFigures(after outcome: Result<CycleReport, CycleError>)
    -> MetricsFile.KernelFigures
  {
    var figures = MetricsFile.KernelFigures()
    figures.dropCounter = try? backend.dropCounter(
      table: ruleset.tableName, chain: ruleset.guardChainName)
    let applied: DualStackSet? =
      switch outcome {
      case .success(let report): report.plan.desired
      case .failure: (try? store.loadHeader()).flatMap { $0 }.flatMap { try? store.loadApplied($0) }
      }
    if let applied {
      figures.elements = [.ipv4: applied.v4.ranges.count, .ipv6: applied.v6.ranges.count]
      figures.prefixes = [.ipv4: applied.v4.prefixCount, .ipv6: applied.v6.prefixCount]
    }
    return figures
  }
}
