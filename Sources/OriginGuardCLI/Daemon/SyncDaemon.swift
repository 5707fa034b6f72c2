import Foundation
import Logging
import Netfilter
import OriginGuard
import ServiceLifecycle
import Synchronization
import UnixSignals

/// `origin-guard run`: a sync every `interval` ± `jitter`, backing off after failures, and a
/// repair of our table right after anyone else changes it (the ruleset's netlink events).
/// SIGHUP reloads the configuration (a broken one is reported and the old one kept);
/// SIGTERM/SIGINT stop it: a cycle still fetching is abandoned before it applies anything, a
/// commit in progress completes (it is one atomic batch either way).
struct SyncDaemon: Service {
  let initial: CommandContext
  let configPath: String
  /// Stop after this many cycles (tests and leak checks); nil runs until stopped.
  let maxCycles: Int?

  /// What ends a wait: nothing is polled.
  enum Wake: Sendable {
    case timer, reload, shutdown
    case notice(RulesetWatch.Notice)
  }

  /// Changes noticed and not yet repaired.
  struct PendingRepair {
    /// When the first change was noticed: the exposure runs from here.
    var first: ContinuousClock.Instant
    var last: ContinuousClock.Instant
    var what: String
  }

  func run() async throws {
    let (wakes, wake) = AsyncStream.makeStream(of: Wake.self)
    let reloadRequested = Atomic<Bool>(false)
    let signals = Task {
      for await _ in await UnixSignalsSequence(trapping: .sighup) {
        reloadRequested.store(true, ordering: .relaxed)
        wake.yield(.reload)
      }
    }
    defer { signals.cancel() }
    var context = initial
    let watch = startWatch(context)
    let forwarding = Task {
      guard let watch else { return }
      for await notice in watch.notices { wake.yield(.notice(notice)) }
    }
    defer {
      watch?.stop()
      forwarding.cancel()
    }
    context = context.with(rulesetWatch: watch)
    let watchRecorder = WatchRecorder(
      configuration: context.configuration, backend: context.backend, logger: context.logger)
    watchRecorder.started(subscribed: watch != nil, at: Date())
    defer { watchRecorder.stopped(at: Date()) }

    let notifier = SystemdNotifier()
    notifier.notify("READY=1\nSTATUS=starting the first sync")
    await withGracefulShutdownHandler {
      await loop(
        context: context, watch: watch, wakes: wakes, wake: wake, reload: reloadRequested,
        notifier: notifier)
    } onGracefulShutdown: {
      wake.yield(.shutdown)
    }
    notifier.notify("STOPPING=1")
  }

  /// Subscribes to the ruleset's events; without them (an old kernel, a sandbox refusing the
  /// group) the daemon still repairs in its cycles, and says so.
  private func startWatch(_ context: CommandContext) -> RulesetWatch? {
    guard let source = context.backend as? any RulesetEventSource else { return nil }
    do {
      let watch = try RulesetWatch(source: source, table: context.configuration.ruleset.tableName)
      watch.start()
      return watch
    } catch {
      context.logger.warning(
        "cannot follow the ruleset's events (\(error)): changes others make to our table are repaired only by the next cycle"
      )
      return nil
    }
  }

  private func loop(
    context initialContext: CommandContext, watch: RulesetWatch?, wakes: AsyncStream<Wake>,
    wake: AsyncStream<Wake>.Continuation, reload: borrowing Atomic<Bool>,
    notifier: SystemdNotifier
  ) async {
    var context = initialContext
    var iterator = wakes.makeAsyncIterator()
    let clock = ContinuousClock()
    var nextCycle = clock.now
    var failures = 0
    var cycles = 0
    var pending: PendingRepair?
    var pacer = RepairPacer()
    let logger = context.logger

    while !Task.isShuttingDownGracefully {
      if reload.exchange(false, ordering: .relaxed) {
        do {
          context = context.with(configuration: try ConfigurationLoader.load(path: configPath))
          watch?.table = context.configuration.ruleset.tableName
          logger.notice("configuration reloaded from \(configPath)")
        } catch {
          logger.error("configuration reload failed, keeping the previous one: \(error)")
        }
        nextCycle = clock.now
      }
      if clock.now >= nextCycle {
        let started = clock.now
        let outcome = await runOneCycle(context)
        if case .success(let report)? = outcome {
          // The cycle compared the whole table: changes noticed before it began are handled.
          if let noticed = pending, noticed.last < started { pending = nil }
          if report.repairedDrift {
            WatchRecorder(
              configuration: context.configuration, backend: context.backend, logger: logger
            ).recordRepair(what: report.summary, trigger: .cycle, exposure: nil, at: Date())
          }
        }
        let succeeded = if case .success? = outcome { true } else { false }
        cycles += 1
        failures = succeeded ? 0 : failures + 1
        notifier.notify(
          "STATUS=\(succeeded ? "last sync succeeded" : "last sync failed (\(failures) in a row)")"
            + (watch == nil ? "" : "; watching the ruleset"))
        if let maxCycles, cycles >= maxCycles { break }
        let delay = Self.delay(configuration: context.configuration, failures: failures)
        logger.debug("next sync in \(DurationText.describe(delay))")
        nextCycle = clock.now + delay
        continue
      }
      if let due = pending, clock.now >= pacer.repairTime(lastChange: due.last) {
        pending = nil
        await repair(due, context: context, pacer: &pacer)
        continue
      }
      let deadline =
        pending.map { min(nextCycle, pacer.repairTime(lastChange: $0.last)) } ?? nextCycle
      let timer = Task {
        try await Task.sleep(until: deadline, clock: clock)
        wake.yield(.timer)
      }
      let woken = await iterator.next()
      timer.cancel()
      switch woken {
      case .notice(.changed(let commit, let at))?:
        pacer.noteChange(at: at)
        let what =
          commit.changes.filter { $0.table == context.configuration.ruleset.tableName }
          .map(\.description).sorted().joined(separator: ", ")
          + (commit.process.map { " by \($0)" } ?? "")
        logger.debug("ruleset generation \(commit.generation): \(what)")
        pending = PendingRepair(first: pending?.first ?? at, last: at, what: what)
      case .notice(.lost(let at, let reason))?:
        logger.notice("\(reason): checking our table")
        pacer.noteChange(at: at)
        pending = PendingRepair(first: pending?.first ?? at, last: at, what: reason)
      case .shutdown?, nil:
        return
      case .timer?, .reload?:
        continue
      }
    }
  }

  /// Puts our table back from the last applied list, with the lock; the fight with another
  /// program is paced by `pacer`.
  private func repair(
    _ due: PendingRepair, context: CommandContext, pacer: inout RepairPacer
  ) async {
    let logger = context.logger
    let task = Task { () async -> Result<RepairReport, CycleError> in
      do throws(CycleError) {
        let lock = try context.reconciler.lock(wait: true)
        defer { withExtendedLifetime(lock) {} }
        try await context.settleBootstrap(refuseWhileWaiting: true)
        return .success(try await context.reconciler.repair())
      } catch {
        return .failure(error)
      }
    }
    let outcome = await withGracefulShutdownHandler {
      await task.value
    } onGracefulShutdown: {
      task.cancel()
    }
    let now = ContinuousClock.now
    switch outcome {
    case .success(let report) where report.repaired:
      let exposure = now - due.first
      logger.warning(
        "repaired our table \(DurationText.describe(exposure)) after someone else changed it (\(due.what)): \(report.summary)"
      )
      WatchRecorder(configuration: context.configuration, backend: context.backend, logger: logger)
        .recordRepair(what: report.summary, trigger: .event, exposure: exposure, at: Date())
      if let warning = pacer.noteRepair(at: now, what: due.what) { logger.warning("\(warning)") }
    case .success(let report):
      logger.debug("after \(due.what): \(report.summary)")
    case .failure(.cancelled):
      return
    case .failure(.state(.bootstrapWaiting)):
      logger.notice(
        "someone changed our table while a bootstrap waits for its confirmation; not repairing before it is confirmed or rolled back"
      )
    case .failure(let error):
      logger.error("repairing our table failed: \(error); the next change or cycle tries again")
      // A failed attempt costs as much as a repair: it is paced the same way.
      if let warning = pacer.noteRepair(at: now, what: due.what) { logger.warning("\(warning)") }
    }
  }

  /// One cycle with the lock, abandoned (before applying) on graceful shutdown. Nil when it
  /// was abandoned.
  private func runOneCycle(_ context: CommandContext) async -> Result<CycleReport, CycleError>? {
    let started = Date()
    let clock = ContinuousClock()
    let start = clock.now
    let task = Task { () async -> Result<CycleReport, CycleError>? in
      var lock: RunLock?
      let outcome: Result<CycleReport, CycleError>
      do throws(CycleError) {
        lock = try context.reconciler.lock(wait: true)
        try await context.settleBootstrap(refuseWhileWaiting: true)
        let options = Reconciler.Options(apply: true, traceRemovals: false)
        outcome = .success(try await context.reconciler.cycle(options))
      } catch {
        outcome = .failure(error)
      }
      if case .failure(.cancelled) = outcome { return nil }
      // Held while recording too: the outputs of an older cycle must not land after those of a
      // newer one (a `sync` run by hand while the daemon waited for the lock).
      context.recorder.record(outcome, at: started, duration: clock.now - start)
      withExtendedLifetime(lock) {}
      return outcome
    }
    let outcome = await withGracefulShutdownHandler {
      await task.value
    } onGracefulShutdown: {
      task.cancel()
    }
    guard let outcome else {
      context.logger.notice("\(CycleError.cancelled)")
      return nil
    }
    return outcome
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
}
