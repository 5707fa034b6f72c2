import AddressSet
import AddressSources
import ArgumentParser
import Foundation
import OriginGuard

struct ExportCommand: AsyncParsableCommand {
  /// The list's formats (the same as `outputs:` writes), and `nginx`: `nginx-realip`, or
  /// with `--nginx-directive allow` `nginx-allow`.
  enum Format: String, ExpressibleByArgument, CaseIterable {
    case nft, json, text, nginx
    case nginxRealIP = "nginx-realip"
    case nginxAllow = "nginx-allow"
    case apacheRemoteIP = "apache-remoteip"
    case apacheRequire = "apache-require"
  }

  enum NginxDirective: String, ExpressibleByArgument, CaseIterable {
    case setRealIPFrom = "set_real_ip_from"
    case allow
  }

  static let configuration = CommandConfiguration(
    commandName: "export",
    abstract:
      "Print the allow-list for other tools: nft script, nginx or Apache include, JSON, plain text.",
    discussion: """
      Reads the last-known-good lists by default, or fetches with --fresh. The JSON form, \
      published by one host, is what other hosts of a fleet read with a `url` source \
      (select: prefixes[].prefix). To keep a web server's include in step with the firewall, \
      configure it under `outputs:` instead: it is rewritten after every sync that changes it.

      Examples:
        origin-guard export --format nginx-realip
        origin-guard export --format apache-require
        origin-guard export --format json --fresh > /var/www/origin-guard/list.json
        origin-guard export --format nft | nft -c -f -
      """)

  @OptionGroup var global: GlobalOptions

  @Option(help: "Output format: \(Format.allCases.map(\.rawValue).joined(separator: ", ")).")
  var format: Format = .text

  @Option(
    help:
      "For --format nginx: set_real_ip_from (as nginx-realip) or allow (as nginx-allow)."
  )
  var nginxDirective: NginxDirective = .setRealIPFrom

  @Flag(help: "Fetch the sources now instead of reading the last-known-good lists.")
  var fresh = false

  func run() async throws {
    let context = try await CommandContext.make(global)
    let outcomes: [SourceOutcome]
    do {
      outcomes = try await context.reconciler.fetchSources(fromCache: !fresh)
    } catch .noCache(let source) {
      // Nobody typed --from-cache: say what export reads and the two ways to get it.
      throw context.fail(
        message:
          "export reads the lists the last sync saved, and source \(source) has none yet; run `origin-guard export --fresh` to fetch the sources now, or `origin-guard sync` first",
        exitCode: .sourceFailed)
    } catch {
      throw context.fail(error)
    }
    let combined: CombinedSources
    do {
      combined = try context.reconciler.allowedSources(outcomes)
    } catch {
      throw context.fail(error)
    }
    let document = ListDocument(
      set: combined.set, combined: combined, sourceNames: outcomes.map(\.name),
      ruleset: context.configuration.ruleset, generatedAt: Date())
    Console.print(document.render(listFormat))
  }

  private var listFormat: ListFormat {
    switch format {
    case .nft: .nft
    case .json: .json
    case .text: .text
    case .nginx: nginxDirective == .allow ? .nginxAllow : .nginxRealIP
    case .nginxRealIP: .nginxRealIP
    case .nginxAllow: .nginxAllow
    case .apacheRemoteIP: .apacheRemoteIP
    case .apacheRequire: .apacheRequire
    }
  }
}
