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
  let backend: any NetfilterBackend
  let environment: ReconcilerEnvironment

  var reconciler: Reconciler { Reconciler(configuration: configuration, environment: environment) }
  var store: StateStore { StateStore(directory: configuration.stateDirectory) }
  var recorder: CycleRecorder { CycleRecorder(configuration: configuration, backend: backend, logger: logger) }

  /// Loads the configuration and opens the kernel; prints what went wrong and exits with
  /// code 1 when either fails. Then performs an overdue bootstrap rollback, unless
  /// `settlingBootstrap` is false (the watchdog does its own).
  static func make(_ options: GlobalOptions, settlingBootstrap: Bool = true) async throws
    -> CommandContext
  {
    let configuration = try loadConfiguration(options)
    let logger = LogSetup.bootstrap(
      level: options.logLevel.flatMap(LogLevel.init) ?? configuration.logLevel,
      format: options.logFormat.flatMap(LogFormat.init) ?? configuration.logFormat)
    let backend: NetlinkBackend
    do {
      backend = try NetlinkBackend()
    } catch {
      Console.error("origin-guard: \(error)")
      throw OriginGuard.ExitCode.failure.asExit
    }
    let sourceContext = SourceContext(
      logger: logger, environment: .current(),
      fetchStore: FileConditionalFetchStore(directory: StateStore(directory: configuration.stateDirectory).fetchStoreDirectory))
    let context = CommandContext(
      configuration: configuration, logger: logger, backend: backend,
      environment: ReconcilerEnvironment(backend: backend, sourceContext: sourceContext, logger: logger))
    if settlingBootstrap { try await context.settleOverdueBootstrap() }
    return context
  }

  /// The same kernel and logger with another configuration (SIGHUP in `run`).
  func with(configuration: Configuration) -> CommandContext {
    var environment = self.environment
    environment.sourceContext.fetchStore = FileConditionalFetchStore(
      directory: StateStore(directory: configuration.stateDirectory).fetchStoreDirectory)
    return CommandContext(configuration: configuration, logger: logger, backend: backend, environment: environment)
  }

  static func loadConfiguration(_ options: GlobalOptions) throws -> Configuration {
    do {
      return try ConfigurationLoader.load(path: options.config)
    } catch {
      Console.error("origin-guard: \(error)")
      throw OriginGuard.ExitCode.failure.asExit
    }
  }

  /// Runs one cycle with the lock held, records it (run record, metrics, summary log line)
  /// and returns it, or exits with the code that says what went wrong.
  func runCycle(_ options: Reconciler.Options, wait: Bool) async throws -> CycleReport {
    let started = Date()
    let clock = ContinuousClock()
    let start = clock.now
    let outcome: Result<CycleReport, CycleError>
    do {
      let lock = try reconciler.lock(wait: wait)
      defer { withExtendedLifetime(lock) {} }
      try await settleBootstrap(refuseWhileWaiting: options.apply)
      outcome = .success(try await reconciler.cycle(options))
    } catch {
      outcome = .failure(error)
    }
    if options.apply { recorder.record(outcome, at: started, duration: clock.now - start) }
    switch outcome {
    case .success(let report): return report
    case .failure(let error): throw fail(error)
    }
  }

  /// Prints a cycle error (and for a refusal the plan it refused) and returns the exit.
  func fail(_ error: CycleError) -> ArgumentParser.ExitCode {
    Console.error("origin-guard: \(error)")
    if case .refused(_, let plan?) = error {
      Console.error("The refused change was: \(plan.added.count) to add, \(plan.removed.count) to remove.")
    }
    return error.exitCode.asExit
  }
}

/// stdout for results, stderr for diagnostics.
enum Console {
  static func print(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
  }

  static func error(_ text: String) {
    FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
  }
}
