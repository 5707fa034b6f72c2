import ArgumentParser
import OriginGuard

struct SyncCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sync",
    abstract: "Fetch the sources and apply the difference to the kernel in one atomic batch.",
    discussion: """
      The job a timer or cron runs. Nothing changes when a source fails without a young enough \
      last-known-good list, or when a guard refuses the list; the exit code says which.

      Examples:
        origin-guard sync
        origin-guard sync --wait            # queue behind a running sync instead of exiting 4
        origin-guard sync --from-cache      # at boot, before the network is up
        origin-guard sync --force           # accept a list the size guards refuse
      """)

  @OptionGroup var global: GlobalOptions

  @Flag(help: "Apply the last-known-good lists without fetching (for boot, before the network is up).")
  var fromCache = false

  @Flag(help: "Override the size guards (min_entries, max_entries, max_shrink_percent).")
  var force = false

  @Flag(help: "Wait for a running sync to finish instead of exiting with code 4.")
  var wait = false

  @Flag(help: "Print the plan that was applied.")
  var verbose = false

  func run() async throws {
    let context = try await CommandContext.make(global).followingRuleset()
    let report = try await context.runCycle(
      Reconciler.Options(apply: true, force: force, fromCache: fromCache, traceRemovals: verbose),
      wait: wait)
    if verbose {
      Console.print(PlanRenderer.text(report, table: context.configuration.ruleset.tableName))
    } else {
      Console.print(report.summary + "\n")
    }
  }
}
