import ArgumentParser
import OriginGuard

struct ConfirmCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "confirm",
    abstract: "Confirm a waiting bootstrap, so it keeps the lock-down.",
    discussion: """
      Run it from a new session to prove you can still reach the host.

      Example:
        origin-guard confirm
      """)

  @OptionGroup var global: GlobalOptions

  func run() throws {
    let configuration = try CommandContext.loadConfiguration(global)
    do {
      try ConfirmationFile(store: StateStore(directory: configuration.stateDirectory)).confirm()
    } catch {
      Console(global).error("origin-guard: \(error)")
      throw OriginGuard.ExitCode.failure.asExit
    }
    print("Confirmed.")
  }
}
