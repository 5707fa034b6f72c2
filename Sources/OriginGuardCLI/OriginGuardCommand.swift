import ArgumentParser

@main
struct OriginGuardCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "origin-guard",
    abstract: "Lets only your CDN's back-to-origin nodes reach this origin's web ports.",
    discussion: """
      origin-guard keeps one nftables table (inet origin_guard) in sync with the addresses your \
      CDN connects from: Alibaba Cloud CDN (DescribeL2VipsByDomain), Alibaba ESA origin \
      protection, a URL, a file or a static list. Only the guarded ports (80 and 443 by default) \
      are filtered; every other port is untouched. Every change is one atomic netlink batch.

      Exit codes:
      \(ExitCodeHelp.table)
      """,
    version: OriginGuardVersion.description,
    subcommands: [
      PlanCommand.self, SyncCommand.self, BootstrapCommand.self, ConfirmCommand.self,
      RunCommand.self, StatusCommand.self, CheckCommand.self, ExportCommand.self,
      TeardownCommand.self, ValidateCommand.self, BootstrapWatchdogCommand.self,
    ]
  )

  static func main() async {
    RelocationTablePages.release()
    await main(nil)
  }
}
