import Foundation
import Logging
import OriginGuard
import ServiceLifecycle
import Synchronization
import UnixSignals

/// `origin-guard run`: a sync every `interval` ± `jitter`, backing off after failures.
/// SIGHUP reloads the configuration (a broken one is reported and the old one kept);
/// SIGTERM/SIGINT stop it: a cycle still fetching is abandoned before it applies anything, a
/// commit in progress completes (it is one atomic batch either way).
struct SyncDaemon: Service {
  let initial: CommandContext
  let configPath: String
  /// Stop after this many cycles (tests and leak checks); nil runs until stopped.
  let maxCycles: Int?

  func run() async throws {
    let reloadRequested = Atomic<Bool>(false)
    let signals = Task {
      for await _ in await UnixSignalsSequence(trapping: .sighup) { reloadRequested.store(true, ordering: .relaxed) }
    }
    defer { signals.cancel() }
    let notifier = SystemdNotifier()
    notifier.notify("READY=1\nSTATUS=starting the first sync")
    var context = initial
    var failures = 0
    var cycles = 0
    let logger = context.logger

    while !Task.isShuttingDownGracefully {
      if reloadRequested.exchange(false, ordering: .relaxed) {
        do {
          context = context.with(configuration: try ConfigurationLoader.load(path: configPath))
          logger.notice("configuration reloaded from \(configPath)")
        } catch {
          logger.error("configuration reload failed, keeping the previous one: \(error)")
        }
      }
      let succeeded = await runOneCycle(context)
      cycles += 1
      failures = succeeded ? 0 : failures + 1
      notifier.notify("STATUS=\(succeeded ? "last sync succeeded" : "last sync failed (\(failures) in a row)")")
      if let maxCycles, cycles >= maxCycles { break }
      let delay = Self.delay(configuration: context.configuration, failures: failures)
      logger.debug("next sync in \(DurationText.describe(delay))")
      await sleep(delay, wakingOn: reloadRequested)
    }
    notifier.notify("STOPPING=1")
  }

  /// One cycle with the lock, abandoned (before applying) on graceful shutdown.
  private func runOneCycle(_ context: CommandContext) async -> Bool {
    let started = Date()
    let clock = ContinuousClock()
    let start = clock.now
    let task = Task { () async -> Result<CycleReport, CycleError> in
      do throws(CycleError) {
        let lock = try context.reconciler.lock(wait: true)
        defer { withExtendedLifetime(lock) {} }
        try await context.settleBootstrap(refuseWhileWaiting: true)
        let options = Reconciler.Options(apply: true, traceRemovals: false)
        return .success(try await context.reconciler.cycle(options))
      } catch {
        return .failure(error)
      }
    }
    let outcome = await withGracefulShutdownHandler {
      await task.value
    } onGracefulShutdown: {
      task.cancel()
    }
    if case .failure(.cancelled) = outcome {
      context.logger.notice("\(CycleError.cancelled)")
      return false
    }
    context.recorder.record(outcome, at: started, duration: clock.now - start)
    if case .success = outcome { return true }
    return false
  }

  /// `interval` ± `jitter` after a success; after failures 10 s, 20 s, 40 s … up to `interval`.
  static func delay(configuration: Configuration, failures: Int) -> Duration {
    if failures > 0 {
      let backoff = Duration.seconds(10) * (1 << min(failures - 1, 16))
      return min(backoff, configuration.interval)
    }
    let jitter = Double(configuration.jitter.components.seconds)
    let offset = jitter > 0 ? Double.random(in: -jitter...jitter) : 0
    return max(.seconds(1), configuration.interval + .seconds(offset))
  }

  /// Sleeps in short slices so SIGHUP and shutdown take effect at once.
  private func sleep(_ duration: Duration, wakingOn reload: borrowing Atomic<Bool>) async {
    let clock = ContinuousClock()
    let deadline = clock.now + duration
    while clock.now < deadline && !Task.isShuttingDownGracefully && !reload.load(ordering: .relaxed) {
      try? await cancelWhenGracefulShutdown {
        try await Task.sleep(for: min(.milliseconds(250), deadline - clock.now))
      }
    }
  }
}
