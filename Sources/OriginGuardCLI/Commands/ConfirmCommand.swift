import ArgumentParser
import Foundation
import OriginGuard

struct ConfirmCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "confirm",
    abstract: "Confirm a waiting bootstrap, so it keeps the lock-down.",
    discussion: """
      Run it from a new session to prove you can still reach the host. With no bootstrap \
      waiting it changes nothing and exits 1; it never leaves a confirmation behind for a \
      later bootstrap.

      Example:
        origin-guard confirm
      """)

  @OptionGroup var global: GlobalOptions

  func run() throws {
    let configuration = try CommandContext.loadConfiguration(global)
    let console = Console(global)
    let files = BootstrapFiles(store: StateStore(directory: configuration.stateDirectory))
    let confirmation: BootstrapFiles.Confirmation
    do {
      confirmation = try files.confirm(at: Date())
    } catch {
      console.error("origin-guard: \(error)")
      throw OriginGuard.ExitCode.failure.asExit
    }
    switch confirmation {
    case .confirmed(let record):
      print(
        "Confirmed the bootstrap applied at \(record.appliedAt.formatted(.iso8601)) (pid \(record.bootstrapPID)) to table inet \(record.tableName); it would have been rolled back at \(record.deadline.formatted(.iso8601))."
      )
    case .nothingWaiting:
      console.error(
        "origin-guard: no bootstrap is waiting for a confirmation; nothing was confirmed.")
      throw OriginGuard.ExitCode.failure.asExit
    case .tooLate(let record):
      console.error(
        "origin-guard: too late: the confirmation deadline of the bootstrap applied at \(record.appliedAt.formatted(.iso8601)) passed at \(record.deadline.formatted(.iso8601)); it is being rolled back (any origin-guard run, e.g. `origin-guard status`, completes the rollback). Run bootstrap again."
      )
      throw OriginGuard.ExitCode.failure.asExit
    }
  }
}
