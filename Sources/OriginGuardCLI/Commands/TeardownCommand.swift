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

  @Flag(
    help:
      "Also remove the files origin-guard wrote in the state directory (last-known-good lists, run record); refused, before anything changes, when it holds other files."
  )
  var purgeState = false

  func run() async throws {
    let context = try await CommandContext.make(global)
    let lock: RunLock
    do { lock = try context.reconciler.lock(wait: true) } catch { throw context.fail(error) }
    defer { withExtendedLifetime(lock) {} }
    do { try await context.settleBootstrap(refuseWhileWaiting: true) } catch {
      throw context.fail(error)
    }
    let ruleset = context.configuration.ruleset
    let existed: Bool
    do {
      // Refused before the table goes: a state directory shared with other files stays whole.
      if purgeState { try context.store.checkPurgeable() }
      existed =
        try context.backend.readTableRetrying(named: ruleset.tableName, withElements: false) != nil
      // Deleting what is not there is idempotent; only a removal is reported as one.
      if existed {
        try context.backend.apply(ruleset.uninstallTransaction(), expectedGeneration: nil)
      }
      if purgeState { try context.store.purge() }
    } catch let error as NetfilterError {
      context.console.error("origin-guard: \(error)")
      throw OriginGuard.ExitCode.failure.asExit
    } catch {
      context.console.error("origin-guard: \(error)")
      throw OriginGuard.ExitCode.failure.asExit
    }
    guard existed else {
      context.logger.notice(
        "teardown: table inet \(ruleset.tableName) does not exist; nothing removed")
      Console.print("Nothing to remove: table inet \(ruleset.tableName) does not exist.\n")
      return
    }
    if !purgeState {
      // So that `status` and the next sync know the table is gone because of us, not drift.
      do { try context.store.recordTeardown(at: context.environment.now()) } catch {
        context.logger.warning(
          "the table was removed, but the state directory could not record that teardown removed it (\(error)); `status` will report it as missing"
        )
      }
    }
    context.logger.notice("teardown: removed table inet \(ruleset.tableName)")
    Console.print(
      "Removed table inet \(ruleset.tableName); ports \(ruleset.ports.map(String.init).joined(separator: ", ")) are open to everyone.\n"
    )
  }
}
