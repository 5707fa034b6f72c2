import ArgumentParser
import OriginGuard

struct ValidateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "validate",
    abstract: "Check a configuration file without touching the kernel or the network.",
    discussion: """
      Examples:
        origin-guard validate
        origin-guard validate --config deploy/examples/cloudflare.yaml
      """)

  @OptionGroup var global: GlobalOptions

  func run() throws {
    let configuration = try CommandContext.loadConfiguration(global)
    print("\(global.config): OK")
    print(configuration.summary)
  }
}
