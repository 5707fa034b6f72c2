import ArgumentParser
import Foundation
import OriginGuard

#if canImport(Glibc)
  import Glibc
#endif

/// Started by `bootstrap`, detached (`WatchdogLauncher`): sleeps until the confirmation
/// deadline without holding the run lock, and then rolls back unless the bootstrap was
/// confirmed or already rolled back. The rollback then waits for the lock, so it never runs
/// alongside the bootstrap's own.
struct BootstrapWatchdogCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bootstrap-watchdog",
    abstract: "Roll back a bootstrap at its deadline if it is neither confirmed nor rolled back.",
    shouldDisplay: false)

  @OptionGroup var global: GlobalOptions

  @Option(help: "The id of the bootstrap's rollback record.")
  var id: String

  func run() async throws {
    let context = try await CommandContext.make(global, settlingBootstrap: false)
    let files = BootstrapFiles(store: context.store)
    // Confirmed, rolled back, or another bootstrap's record: nothing for this watchdog.
    guard let mine = try? files.pending(), mine.id == id else { return }
    // Polls with a stat, not by decoding the record (which holds the whole earlier list).
    // Whatever replaced the record meanwhile, the settling below judges by its own deadline.
    while mine.deadline.timeIntervalSinceNow > 0 {
      // A rollback stopped half-way (the bootstrap killed while rolling back): finish it.
      if access(files.rollingBackPath, F_OK) == 0 { break }
      if access(files.pendingPath, F_OK) != 0 { return }
      let left = mine.deadline.timeIntervalSinceNow
      try? await Task.sleep(for: .milliseconds(Int(min(max(left, 0), 0.25) * 1000) + 1))
    }
    do throws(CycleError) {
      let lock = try context.reconciler.lock(wait: true)
      defer { withExtendedLifetime(lock) {} }
      try await context.settleBootstrap(refuseWhileWaiting: false)
    } catch {
      context.logger.error("bootstrap watchdog: \(error)")
      throw error.exitCode.asExit
    }
  }
}
