import AddressSet
import AddressSources
import Foundation
import Logging
import Netfilter

/// After a successful cycle (sync, `sync --from-cache`, a confirmed bootstrap, a daemon
/// cycle): every output whose content differs from the list the cycle applied is rewritten and
/// its `on_change` run, once per distinct command however many of its files changed. An
/// output already up to date is not touched and runs nothing. A failure is logged and counted,
/// and never undoes the firewall update.
public struct OutputRefresher: Sendable {
  public let outputs: [OutputConfig]
  public let ruleset: GuardRuleset
  public let store: StateStore
  public let logger: Logger

  public init(configuration: Configuration, logger: Logger) {
    outputs = configuration.outputs
    ruleset = configuration.ruleset
    store = StateStore(directory: configuration.stateDirectory)
    self.logger = logger
  }

  /// Brings every output up to date with `report`; returns the ledger, saved.
  @discardableResult
  public func refresh(after report: CycleReport, at date: Date) -> OutputLedger {
    var ledger = loadLedger()
    guard !outputs.isEmpty else { return ledger }
    let results = report.allowedResults
    let everything = CombinedSources(results)
    var pending: [(config: OutputConfig, fingerprint: String)] = []
    for config in outputs {
      let text = document(
        config, report: report, results: results, everything: everything, at: date
      )
      .render(config.format)
      let fingerprint = Self.fingerprint(text, config)
      let entry = ledger.outputs[config.name]
      let file = OutputFile(config: config)
      if entry?.path == config.path && entry?.fingerprint == fingerprint && file.holds(text) {
        continue
      }
      do throws(OutputError) {
        try file.replace(with: text)
        pending.append((config, fingerprint))
      } catch {
        fail(config, error, ledger: &ledger, at: date)
      }
    }
    // One run per distinct command: two includes of one nginx need one reload.
    var commands: [[String]] = []
    for (config, _) in pending {
      if let command = config.onChange, !commands.contains(command) { commands.append(command) }
    }
    var failures: [[String]: (ExternalCommand, ExternalCommand.Result)] = [:]
    for arguments in commands {
      let timeout = pending.filter { $0.config.onChange == arguments }.map(\.config.timeout).max()!
      let command = ExternalCommand(arguments, timeout: timeout)
      let result = command.run()
      if !result.succeeded { failures[arguments] = (command, result) }
    }
    for (config, fingerprint) in pending {
      if let command = config.onChange, let failure = failures[command] {
        fail(
          config, .onChangeFailed(path: config.path, command: failure.0, failure.1),
          ledger: &ledger, at: date)
        continue
      }
      var entry = ledger.outputs[config.name] ?? OutputLedger.Entry()
      entry.path = config.path
      entry.fingerprint = fingerprint
      entry.completedAt = date
      ledger.outputs[config.name] = entry
      let check =
        config.check.map {
          ", accepted by " + ExternalCommand($0, timeout: config.timeout).description
        } ?? ""
      let ran =
        config.onChange.map { ", ran " + ExternalCommand($0, timeout: config.timeout).description }
        ?? ""
      logger.info(
        "output \(config.name): wrote \(config.path) (\(config.format.rawValue))\(check)\(ran)")
    }
    do {
      try store.saveOutputLedger(ledger)
    } catch {
      logger.error("outputs: \(error)")
    }
    return ledger
  }

  /// The ledger as saved, for the metrics of a cycle that wrote nothing.
  public func loadLedger() -> OutputLedger {
    guard !outputs.isEmpty else { return OutputLedger() }
    do {
      return try store.loadOutputLedger()
    } catch {
      logger.error("outputs: \(error); every output is written afresh")
      return OutputLedger()
    }
  }

  private func document(
    _ config: OutputConfig, report: CycleReport, results: [SourceResult],
    everything: CombinedSources, at date: Date
  ) -> ListDocument {
    guard let names = config.sources else {
      // The list the firewall now allows, whatever the plan added to the sources' union.
      return ListDocument(
        set: report.plan.desired, combined: everything, sourceNames: report.outcomes.map(\.name),
        ruleset: ruleset, generatedAt: date)
    }
    let selected = CombinedSources(results.filter { names.contains($0.source) })
    return ListDocument(
      set: selected.set, combined: selected, sourceNames: names, ruleset: ruleset,
      generatedAt: date)
  }

  private func fail(
    _ config: OutputConfig, _ error: OutputError, ledger: inout OutputLedger, at date: Date
  ) {
    var entry = ledger.outputs[config.name] ?? OutputLedger.Entry()
    entry.errorsTotal += 1
    entry.lastError = error.description
    entry.lastErrorAt = date
    ledger.outputs[config.name] = entry
    logger.error("output \(config.name): \(error)")
  }

  /// Of what `OutputFile.holds` compares, and of the mode and owner the file is written with.
  static func fingerprint(_ text: String, _ config: OutputConfig) -> String {
    let owner = config.owner.map { "\($0.uid):\($0.gid)" } ?? "-"
    let identity = "\(config.format.rawValue) \(config.mode) \(owner)\n"
    return SHA256Hex.digest(Data((identity + ListDocument.comparable(text)).utf8))
  }
}
