import AddressSources
import ArgumentParser
import Foundation
import Logging
import Netfilter
import OriginGuard

/// What a command needs, built once at its start: the configuration, logging, the kernel
/// backend and the reconciler over them.
struct CommandContext {
  let configuration: Configuration
  let logger: Logger
  /// Where diagnostics go, in the log format: JSON lines when the log is JSON.
  let console: Console
  let backend: any NetfilterBackend
  let environment: ReconcilerEnvironment

  var reconciler: Reconciler { Reconciler(configuration: configuration, environment: environment) }
  var store: StateStore { StateStore(directory: configuration.stateDirectory) }
  var recorder: CycleRecorder {
    CycleRecorder(configuration: configuration, backend: backend, logger: logger)
  }

  /// Loads the configuration and opens the kernel; prints what went wrong and exits with
  /// code 1 when either fails. Then performs an overdue bootstrap rollback, unless
  /// `settlingBootstrap` is false (the watchdog does its own).
  static func make(_ options: GlobalOptions, settlingBootstrap: Bool = true) async throws
    -> CommandContext
  {
    let configuration = try loadConfiguration(options)
    let format = options.logFormat.flatMap(LogFormat.init) ?? configuration.logFormat
    let logger = LogSetup.bootstrap(
      level: options.logLevel.flatMap(LogLevel.init) ?? configuration.logLevel, format: format)
    let console = Console(format: format)
    let backend: NetlinkBackend
    do {
      backend = try NetlinkBackend()
    } catch {
      console.error("origin-guard: \(error)")
      throw OriginGuard.ExitCode.failure.asExit
    }
    let sourceContext = SourceContext(
      logger: logger, environment: .current(),
      fetchStore: FileConditionalFetchStore(
        directory: StateStore(directory: configuration.stateDirectory).fetchStoreDirectory))
    let context = CommandContext(
      configuration: configuration, logger: logger, console: console, backend: backend,
      environment: ReconcilerEnvironment(
        backend: backend, sourceContext: sourceContext, logger: logger))
    if settlingBootstrap { try await context.settleOverdueBootstrap() }
    return context
  }

  /// The same kernel and logger with another configuration (SIGHUP in `run`).
  func with(configuration: Configuration) -> CommandContext {
    var environment = self.environment
    environment.sourceContext.fetchStore = FileConditionalFetchStore(
      directory: StateStore(directory: configuration.stateDirectory).fetchStoreDirectory)
    return CommandContext(
      configuration: configuration, logger: logger, console: console, backend: backend,
      environment: environment)
  }

  /// The same, with the ruleset watch the reconciler consults when a commit is refused
  /// because the generation moved (see `RulesetWatch`).
  func with(rulesetWatch watch: RulesetWatch?) -> CommandContext {
    var environment = self.environment
    environment.rulesetWatch = watch
    return CommandContext(
      configuration: configuration, logger: logger, console: console, backend: backend,
      environment: environment)
  }

  /// Subscribes to the ruleset's events for one sync, so that a neighbour committing to its
  /// own tables meanwhile costs a re-send of the batch instead of a re-read and re-plan.
  /// Without events (the subscription failed) the sync works as before.
  func followingRuleset() -> CommandContext {
    guard let source = backend as? any RulesetEventSource,
      let watch = try? RulesetWatch(source: source, table: configuration.ruleset.tableName)
    else { return self }
    return with(rulesetWatch: watch)
  }

  /// Loads the configuration; a failure is reported in the format `--log-format` asks for
  /// (the file's `log_format` is not known when the file cannot be read).
  static func loadConfiguration(_ options: GlobalOptions) throws -> Configuration {
    do {
      return try ConfigurationLoader.load(path: options.config)
    } catch {
      Console(options).error("origin-guard: \(error)")
      throw OriginGuard.ExitCode.failure.asExit
    }
  }

  /// Runs one cycle with the lock held, records it (run record, outputs, metrics, summary log
  /// line) and returns it, or exits with the code that says what went wrong.
  func runCycle(_ options: Reconciler.Options, wait: Bool) async throws -> CycleReport {
    let started = Date()
    let clock = ContinuousClock()
    let start = clock.now
    let outcome: Result<CycleReport, CycleError>
    // Held while recording too: the outputs of an older cycle must not land after a newer one's.
    var lock: RunLock?
    do {
      lock = try reconciler.lock(wait: wait)
      try await settleBootstrap(refuseWhileWaiting: options.apply)
      outcome = .success(try await reconciler.cycle(options))
    } catch {
      outcome = .failure(error)
    }
    if options.apply { recorder.record(outcome, at: started, duration: clock.now - start) }
    withExtendedLifetime(lock) {}
    switch outcome {
    case .success(let report): return report
    case .failure(let error): throw fail(error)
    }
  }

  /// Prints a cycle error (and for a refusal the plan it refused) and returns the exit.
  func fail(_ error: CycleError) -> ArgumentParser.ExitCode {
    console.error("origin-guard: \(error)")
    if case .refused(_, let plan?) = error {
      console.error(
        "The refused change was: \(plan.added.count) to add, \(plan.removed.count) to remove.")
    }
    return error.exitCode.asExit
  }

  /// Prints `message` and returns the exit for `exitCode`.
  func fail(message: String, exitCode: OriginGuard.ExitCode) -> ArgumentParser.ExitCode {
    console.error("origin-guard: \(message)")
    return exitCode.asExit
  }
}

/// stdout for results, stderr for diagnostics. In the JSON log format every stderr line is a
/// JSON object like the log's, so a collector reading stderr never meets a plain line.
struct Console: Sendable {
  let format: LogFormat

  init(format: LogFormat) {
    self.format = format
  }

  /// The format `--log-format` asks for: before (or without) the configuration.
  init(_ options: GlobalOptions) {
    self.init(format: options.logFormat.flatMap(LogFormat.init) ?? .text)
  }

  static func print(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
  }

  func error(_ text: String) {
    let line: Data
    switch format {
    case .text:
      line = Data((text.hasSuffix("\n") ? text : text + "\n").utf8)
    case .json:
      let message = text.hasSuffix("\n") ? String(text.dropLast()) : text
      line = JSONLogHandler.line(
        level: .error, label: "origin-guard", message: message, metadata: [:])
    }
    Self.writeIgnoringErrors(line, to: STDERR_FILENO)
  }

  /// After SIGHUP the terminal is gone: a failed write must not end the process (FileHandle
  /// traps on it), least of all right after a bootstrap rolled back.
  static func writeIgnoringErrors(_ data: Data, to descriptor: Int32) {
    data.withUnsafeBytes { buffer in
      guard let base = buffer.baseAddress else { return }
      var offset = 0
      while offset < buffer.count {
        let written = Glibc.write(descriptor, base + offset, buffer.count - offset)
        if written < 0 && errno == EINTR { continue }
        if written <= 0 { return }
        offset += written
      }
    }
  }
}
