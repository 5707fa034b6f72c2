import ArgumentParser
import Netfilter
import OriginGuard

struct TeardownCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "teardown",
    abstract: "Remove our table (and only ours): the guarded ports are open to everyone again.",
    discussion: """
      Examples:
        origin-guard teardown
        origin-guard teardown --purge-state   # also forget the last-known-good lists
      """)

  @OptionGroup var global: GlobalOptions

  @Flag(help: "Also remove the state directory's contents (last-known-good lists, run record).")
  var purgeState = false

  func run() async throws {
    let context = try CommandContext.make(global)
    let lock: RunLock
    do { lock = try context.reconciler.lock(wait: true) } catch { throw context.fail(error) }
    defer { withExtendedLifetime(lock) {} }
    let ruleset = context.configuration.ruleset
    do {
      try context.backend.apply(ruleset.uninstallTransaction(), expectedGeneration: nil)
      if purgeState { try context.store.purge() }
    } catch let error as NetfilterError {
      context.console.error("origin-guard: \(error)")
      throw OriginGuard.ExitCode.failure.asExit
    } catch {
      context.console.error("origin-guard: \(error)")
      throw OriginGuard.ExitCode.failure.asExit
    }
    context.logger.notice("teardown: removed table inet \(ruleset.tableName)")
    Console.print("Removed table inet \(ruleset.tableName); ports \(ruleset.ports.map(String.init).joined(separator: ", ")) are open to everyone.\n")
  }
}
