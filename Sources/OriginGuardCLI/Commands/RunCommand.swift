import ArgumentParser
import Logging
import OriginGuard
import ServiceLifecycle

struct RunCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract:
      "Run as a daemon: sync every interval (± jitter), repair our table when others change it.",
    discussion: """
      The alternative to a timer. Between syncs it follows the ruleset's netlink events and \
      puts our table back from the last applied list within milliseconds when another program \
      deletes or changes it (flush ruleset, nft delete ...), pacing repairs against a program \
      that keeps undoing it. SIGHUP reloads the configuration; SIGTERM and SIGINT stop \
      after the current cycle (a cycle still fetching is abandoned before it changes anything). \
      Under systemd (Type=notify) it reports readiness.

      Examples:
        origin-guard run
        origin-guard run --cycles 1        # one cycle, then exit (testing)
      """)

  @OptionGroup var global: GlobalOptions

  @Option(help: "Stop after this many cycles (for tests and leak checks).")
  var cycles: Int?

  func validate() throws {
    if let cycles, cycles < 1 { throw ValidationError("--cycles must be at least 1") }
  }

  func run() async throws {
    let context = try await CommandContext.make(global)
    let daemon = SyncDaemon(initial: context, configPath: global.config, maxCycles: cycles)
    // The daemon returning (after --cycles) is a normal end, not a failure. The name keeps
    // ServiceLifecycle from describing the service, which would print its environment,
    // Alibaba secrets included.
    let service = ServiceGroupConfiguration.ServiceConfiguration(
      service: daemon, successTerminationBehavior: .gracefullyShutdownGroup,
      serviceName: "sync daemon")
    let group = ServiceGroup(
      configuration: ServiceGroupConfiguration(
        services: [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: context.logger))
    try await group.run()
  }
}
