import ArgumentParser
import Foundation
import OriginGuard

struct BootstrapCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bootstrap",
    abstract: "Lock a fresh origin down, and roll back unless confirmed in time.",
    discussion: """
      Shows the plan, applies it, then waits --confirm-timeout for a confirmation: `y` typed on \
      this terminal, or `origin-guard confirm` run from another shell (a new SSH session proves \
      you still get in). Without it, the earlier state of our table (or its absence) is restored \
      exactly, so an operator who cut their own access gets it back.

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
    let context = try CommandContext.make(global)
    let reconciler = context.reconciler
    let table = context.configuration.ruleset.tableName
    let preview = try await context.runCycle(Reconciler.Options(apply: false, force: force), wait: true)
    Console.print(PlanRenderer.text(preview, table: table, pendingNote: "Applying now."))

    let lock: RunLock
    do { lock = try reconciler.lock(wait: true) } catch { throw context.fail(error) }
    defer { withExtendedLifetime(lock) {} }
    let confirmation = ConfirmationFile(store: context.store)
    let timeout = Duration.seconds(confirmTimeout)
    let yes = self.yes
    let console = context.console
    let started = Date()
    let outcome: Bootstrap.Outcome
    do {
      outcome = try await Bootstrap(reconciler: reconciler).run(force: force) {
        if yes { return true }
        console.error(
          "Applied. Check that you can still reach this host, then type y here or run `origin-guard confirm` within \(confirmTimeout) s; otherwise the change is rolled back.")
        return await Self.waitForConfirmation(confirmation, timeout: timeout)
      }
    } catch {
      context.recorder.record(.failure(error), at: started, duration: .seconds(Date().timeIntervalSince(started)))
      throw context.fail(error)
    }
    switch outcome {
    case .confirmed(let report):
      context.recorder.record(.success(report), at: started, duration: .seconds(Date().timeIntervalSince(started)))
      Console.print(report.applied ? "Locked down: \(report.summary)\n" : "Already in sync: nothing to confirm.\n")
    case .rolledBack:
      context.console.error("No confirmation within \(confirmTimeout) s: rolled back to the earlier state.")
      throw OriginGuard.ExitCode.rolledBack.asExit
    }
  }

  /// The first of: `y` on an interactive stdin, `origin-guard confirm`, the timeout. A typed
  /// `y` confirms through the same file, so there is one thing to wait for.
  static func waitForConfirmation(_ file: ConfirmationFile, timeout: Duration) async -> Bool {
    if isatty(STDIN_FILENO) == 1 {
      Thread.detachNewThread {
        let answer = readLine()?.trimmingCharacters(in: .whitespaces).lowercased()
        if answer == "y" || answer == "yes" { try? file.confirm() }
      }
    }
    return await file.wait(timeout: timeout)
  }
}
