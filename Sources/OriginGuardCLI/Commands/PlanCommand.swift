import ArgumentParser
import OriginGuard

struct PlanCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "plan",
    abstract: "Show what a sync would change, and why, without changing anything.",
    discussion: """
      Fetches every source, merges the lists, runs the guards, reads the kernel and prints every \
      prefix to add and to remove with the source (and domain, file line or URL) it comes from.

      Examples:
        origin-guard plan
        origin-guard plan --json
        origin-guard plan --detailed-exitcode   # 0 in sync, 2 changes pending, 3 refused, 1 error
      """)

  @OptionGroup var global: GlobalOptions

  @Flag(help: "Print JSON instead of text.")
  var json = false

  @Flag(help: "Exit 0 when in sync, 2 when changes are pending (and 3 when a guard refuses, 1 on errors).")
  var detailedExitcode = false

  @Flag(help: "Plan from the last-known-good lists without fetching.")
  var fromCache = false

  func run() async throws {
    let context = try await CommandContext.make(global)
    let report = try await context.runCycle(Reconciler.Options(apply: false, fromCache: fromCache), wait: true)
    let table = context.configuration.ruleset.tableName
    Console.print(json ? PlanRenderer.json(report, table: table) : PlanRenderer.text(report, table: table))
    if detailedExitcode && !report.plan.isInSync { throw OriginGuard.ExitCode.changesPending.asExit }
  }
}
