import ArgumentParser
import Logging
import OriginGuard
import ServiceLifecycle

struct RunCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Run as a daemon: sync every interval (± jitter), back off after failures.",
    discussion: """
      The alternative to a timer. SIGHUP reloads the configuration; SIGTERM and SIGINT stop \
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
    let context = try CommandContext.make(global)
    let daemon = SyncDaemon(initial: context, configPath: global.config, maxCycles: cycles)
    let group = ServiceGroup(
      configuration: ServiceGroupConfiguration(
        services: [
          // `--cycles` ends the daemon on purpose: shut the group down cleanly (exit 0). The
          // name stands in for the service's description in logs and errors, which would
          // otherwise print the whole context, environment variables included.
          .init(
            service: daemon, successTerminationBehavior: .gracefullyShutdownGroup,
            serviceName: "origin-guard sync daemon")
        ],
        gracefulShutdownSignals: [.sigterm, .sigint], logger: context.logger))
    try await group.run()
  }
}
