import ArgumentParser
import Foundation
import OriginGuard
import Synchronization

struct BootstrapCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bootstrap",
    abstract: "Lock a fresh origin down, and roll back unless confirmed in time.",
    discussion: """
      Shows the plan, records how to undo it (state_dir/bootstrap/), starts a detached \
      watchdog, applies, then waits --confirm-timeout for a confirmation: `y` typed here, or \
      `origin-guard confirm` run from another shell (a new SSH session proves you still get \
      in). Anything else rolls back, restoring the earlier table in place (or removing ours if \
      there was none) and the saved state: the timeout, `n` typed here, Ctrl-C, the terminal \
      hanging up, SIGTERM (exit code 6 each time). If bootstrap itself is killed, the watchdog \
      rolls back at the deadline, and failing that the next origin-guard run does.

      Examples:
        origin-guard bootstrap
        origin-guard bootstrap --confirm-timeout 300
        origin-guard bootstrap --yes        # unattended provisioning (cloud-init)
      """)

  @OptionGroup var global: GlobalOptions

  @Flag(help: "Do not wait for a confirmation (unattended provisioning).")
  var yes = false

  @Option(help: "Seconds to wait for the confirmation before rolling back.")
  var confirmTimeout: Int = 120

  @Flag(help: "Override the size guards.")
  var force = false

  func validate() throws {
    guard confirmTimeout > 0 else { throw ValidationError("--confirm-timeout must be positive") }
  }

  func run() async throws {
    let context = try await CommandContext.make(global)
    let reconciler = context.reconciler
    let table = context.configuration.ruleset.tableName
    let preview = try await context.runCycle(
      Reconciler.Options(apply: false, force: force), wait: true)
    Console.print(PlanRenderer.text(preview, table: table, pendingNote: "Applying now."))
    if yes { return try await applyUnattended(context) }

    let lock: RunLock
    do {
      lock = try reconciler.lock(wait: true)
      try await context.settleBootstrap(refuseWhileWaiting: true)
    } catch {
      throw context.fail(error)
    }
    defer { withExtendedLifetime(lock) {} }
    // From here on a signal asks for the rollback instead of ending the process.
    let console = context.console
    let signals = StopSignals()
    let answers = TypedAnswers()
    let bootstrap = Bootstrap(reconciler: reconciler)
    let timeout = confirmTimeout
    let configPath = global.config
    let started = Date()
    let outcome: Bootstrap.Outcome
    do {
      outcome = try await bootstrap.run(
        force: force, timeout: .seconds(timeout),
        startWatchdog: { (record) throws(CycleError) in
          do {
            let pid = try WatchdogLauncher.start(id: record.id, configPath: configPath)
            console.error("Rollback watchdog started (pid \(pid)).")
          } catch {
            console.error("origin-guard: \(error)")
            // Already reported; `.cancelled` stops the bootstrap before it applies anything.
            throw .cancelled
          }
        },
        wait: { record in
          console.error(
            "Applied. Check that you can still reach this host, then type y here or run `origin-guard confirm` within \(timeout) s (until \(record.deadline.formatted(.iso8601))); n, Ctrl-C or no answer rolls the change back."
          )
          answers.start(files: bootstrap.files)
          return await bootstrap.waitForAnswer(record) {
            if let name = signals.received { return .signal(name) }
            return answers.declined ? .declined : nil
          }
        })
    } catch .cancelled {
      throw OriginGuard.ExitCode.failure.asExit
    } catch {
      context.recorder.record(
        .failure(error), at: started, duration: .seconds(Date().timeIntervalSince(started)))
      throw context.fail(error)
    }
    switch outcome {
    case .confirmed(let report):
      context.recorder.record(
        .success(report), at: started, duration: .seconds(Date().timeIntervalSince(started)))
      Console.print(
        report.applied
          ? "Locked down: \(report.summary)\n" : "Already in sync: nothing to confirm.\n")
    case .rolledBack(_, let reason):
      context.recorder.recordRollback("bootstrap rolled back: \(reason)", at: Date())
      // Rolled back first, reported after: the terminal may be gone (SIGHUP).
      console.error("origin-guard: \(reason): rolled back to the earlier state.")
      throw OriginGuard.ExitCode.rolledBack.asExit
    }
  }

  /// `--yes`: no wait, so nothing to roll back.
  private func applyUnattended(_ context: CommandContext) async throws {
    let report = try await context.runCycle(
      Reconciler.Options(apply: true, force: force, traceRemovals: false), wait: true)
    Console.print(
      report.applied ? "Locked down: \(report.summary)\n" : "Already in sync: nothing to confirm.\n"
    )
  }
}

/// Lines typed on stdin while bootstrap waits (a terminal, or a pipe): `y`/`yes` confirms
/// through the same rename as `origin-guard confirm`, `n`/`no` asks for the rollback at once.
/// End of input (stdin on /dev/null) decides nothing.
final class TypedAnswers: Sendable {
  private let no = Mutex(false)

  var declined: Bool { no.withLock { $0 } }

  func start(files: BootstrapFiles) {
    Thread.detachNewThread { [self] in
      while let line = readLine() {
        switch line.trimmingCharacters(in: .whitespaces).lowercased() {
        case "y", "yes":
          _ = try? files.confirm(at: Date())
          return
        case "n", "no":
          no.withLock { $0 = true }
          return
        default:
          continue
        }
      }
    }
  }
}
