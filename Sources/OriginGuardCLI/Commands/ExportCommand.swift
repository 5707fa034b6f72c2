import AddressSet
import AddressSources
import ArgumentParser
import Foundation
import OriginGuard

struct ExportCommand: AsyncParsableCommand {
  enum Format: String, ExpressibleByArgument, CaseIterable {
    case nft, nginx, json, text
  }

  enum NginxDirective: String, ExpressibleByArgument, CaseIterable {
    case setRealIPFrom = "set_real_ip_from"
    case allow
  }

  static let configuration = CommandConfiguration(
    commandName: "export",
    abstract: "Print the allow-list for other tools: nft script, nginx include, JSON, plain text.",
    discussion: """
      Reads the last-known-good lists by default, or fetches with --fresh. The JSON form, \
      published by one host, is what other hosts of a fleet read with a `url` source \
      (select: prefixes[].prefix).

      Examples:
        origin-guard export --format nginx > /etc/nginx/conf.d/cdn-real-ip.conf
        origin-guard export --format nginx --nginx-directive allow
        origin-guard export --format json --fresh > /var/www/origin-guard/list.json
        origin-guard export --format nft | nft -c -f -
      """)

  @OptionGroup var global: GlobalOptions

  @Option(help: "Output format: \(Format.allCases.map(\.rawValue).joined(separator: ", ")).")
  var format: Format = .text

  @Option(
    help:
      "For --format nginx: set_real_ip_from (trust X-Forwarded-For only from these) or allow (allow these, deny all)."
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
    let exporter = ListExporter(
      set: combined.set, index: ProvenanceIndex(combined), ruleset: context.configuration.ruleset,
      generatedAt: Date())
    switch format {
    case .text: Console.print(exporter.text)
    case .json: Console.print(exporter.json)
    case .nft: Console.print(exporter.nft)
    case .nginx: Console.print(exporter.nginx(directive: nginxDirective.rawValue))
    }
  }
}
