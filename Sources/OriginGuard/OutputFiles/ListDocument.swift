import AddressSet
import AddressSources
import Foundation
import Netfilter

/// The allow-list rendered in one of the `ListFormat`s: the one renderer per format that
/// `export` prints and `outputs:` writes. Every form starts by saying what made it (time,
/// sources, count), and `comparable` leaves out the time, so that a file rewritten with the
/// same list compares equal.
public struct ListDocument: Sendable {
  public let set: DualStackSet
  /// The results the list came from, for the provenance in `json`.
  public let combined: CombinedSources
  public let sourceNames: [String]
  public let ruleset: GuardRuleset
  public let generatedAt: Date

  public init(
    set: DualStackSet, combined: CombinedSources, sourceNames: [String], ruleset: GuardRuleset,
    generatedAt: Date
  ) {
    self.set = set
    self.combined = combined
    self.sourceNames = sourceNames
    self.ruleset = ruleset
    self.generatedAt = generatedAt
  }

  /// The first header line; the only line that changes when the list does not.
  static let timeLinePrefix = "# Written by origin-guard at "
  /// The key of `json` that holds the time, printed on a line of its own.
  static let timeKey = "generated_at"

  /// The text without its time: equal for two renderings of the same list in the same format.
  public static func comparable(_ text: String) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: false)
      .filter { !$0.hasPrefix(timeLinePrefix) && !$0.hasPrefix("  \"\(timeKey)\"") }
      .joined(separator: "\n")
  }

  public func render(_ format: ListFormat) -> String {
    switch format {
    case .text: commented(set.prefixes.map(\.description))
    case .json: json
    case .nft: nft
    case .nginxRealIP:
      commented(
        set.prefixes.map { "set_real_ip_from \($0);" }
          + ["# real_ip_header X-Forwarded-For;   # or Ali-Cdn-Real-Ip, in the including block"])
    case .nginxAllow:
      // Nothing listed allows nobody, as in the firewall.
      commented(set.prefixes.map { "allow \($0);" } + ["deny all;"])
    case .apacheRemoteIP: commented(set.prefixes.map { "RemoteIPTrustedProxy \($0)" })
    case .apacheRequire:
      // Without any Require line the including block would let everybody in.
      commented(set.isEmpty ? ["Require all denied"] : set.prefixes.map { "Require ip \($0)" })
    }
  }

  private var time: String { ISO8601DateFormatter().string(from: generatedAt) }

  private var sourcesPhrase: String {
    let names = sourceNames.isEmpty ? "none" : sourceNames.joined(separator: ", ")
    return "sources \(names): \(set.prefixCount) prefix\(set.prefixCount == 1 ? "" : "es")"
  }

  private var header: [String] {
    ["\(Self.timeLinePrefix)\(time).", "# The allow-list from \(sourcesPhrase)."]
  }

  private func commented(_ lines: [String]) -> String {
    (header + lines).joined(separator: "\n") + "\n"
  }

  private var json: String {
    let index = ProvenanceIndex(combined)
    return JSONText.encode([
      Self.timeKey: time,
      "sources": sourceNames,
      "count": set.prefixCount,
      "prefixes": set.prefixes.map { prefix in
        [
          "prefix": prefix.description,
          "family": prefix.family.rawValue,
          "provenance": index.contributors(prefix).map {
            ["source": $0.source, "origin": $0.origin.description]
          },
        ] as [String: Any]
      },
    ])
  }

  private var nft: String {
    func setBlock(_ name: String, type: String, _ prefixes: [String]) -> String {
      var block = "\tset \(name) {\n\t\ttype \(type)\n\t\tflags interval\n"
      if !prefixes.isEmpty {
        block +=
          "\t\telements = {\n" + prefixes.map { "\t\t\t\($0)," }.joined(separator: "\n")
          + "\n\t\t}\n"
      }
      return block + "\t}\n"
    }
    return (["#!/usr/sbin/nft -f"] + header).joined(separator: "\n") + """

      table inet \(ruleset.tableName) {
      \(setBlock(ruleset.ipv4SetName, type: "ipv4_addr", set.v4.prefixes.map(\.description)))\(setBlock(ruleset.ipv6SetName, type: "ipv6_addr", set.v6.prefixes.map(\.description)))}

      """
  }
}
