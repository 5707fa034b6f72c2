import AddressSet
import AddressSources
import Foundation
import Netfilter

/// The allow-list in the forms other tools read.
public struct ListExporter: Sendable {
  public let set: DualStackSet
  public let index: ProvenanceIndex
  public let ruleset: GuardRuleset
  public let generatedAt: Date

  public init(set: DualStackSet, index: ProvenanceIndex, ruleset: GuardRuleset, generatedAt: Date) {
    self.set = set
    self.index = index
    self.ruleset = ruleset
    self.generatedAt = generatedAt
  }

  var header: String {
    "# origin-guard export, \(ISO8601DateFormatter().string(from: generatedAt)): \(set.prefixCount) prefixes"
  }

  /// One prefix per line: what a `file` source or a `url` source with `format: text` reads.
  public var text: String {
    ([header] + set.prefixes.map(\.description)).joined(separator: "\n") + "\n"
  }

  /// Prefixes with provenance; a fleet's `url` sources read it with `select: prefixes[].prefix`.
  public var json: String {
    JSONText.encode([
      "generated_at": ISO8601DateFormatter().string(from: generatedAt),
      "prefixes": set.prefixes.map { prefix in
        [
          "prefix": prefix.description,
          "family": prefix.family.rawValue,
          "provenance": index.contributors(prefix).map { ["source": $0.source, "origin": $0.origin.description] },
        ] as [String: Any]
      },
    ])
  }

  /// An `nft -f` script that (re)loads the two sets of our table.
  public var nft: String {
    func setBlock(_ name: String, type: String, _ prefixes: [String]) -> String {
      var block = "\tset \(name) {\n\t\ttype \(type)\n\t\tflags interval\n"
      if !prefixes.isEmpty {
        block += "\t\telements = {\n" + prefixes.map { "\t\t\t\($0)," }.joined(separator: "\n") + "\n\t\t}\n"
      }
      return block + "\t}\n"
    }
    return """
      #!/usr/sbin/nft -f
      \(header)
      table inet \(ruleset.tableName) {
      \(setBlock(ruleset.ipv4SetName, type: "ipv4_addr", set.v4.prefixes.map(\.description)))\(setBlock(ruleset.ipv6SetName, type: "ipv6_addr", set.v6.prefixes.map(\.description)))}

      """
  }

  /// An nginx include: `set_real_ip_from` so the client address is taken from
  /// `X-Forwarded-For` / `Ali-Cdn-Real-Ip` only on connections from these nodes, or `allow`
  /// lines followed by `deny all`.
  public func nginx(directive: String) -> String {
    var lines = [header] + set.prefixes.map { "\(directive) \($0);" }
    if directive == "allow" {
      lines.append("deny all;")
    } else {
      lines.append("# real_ip_header X-Forwarded-For;   # or Ali-Cdn-Real-Ip for Alibaba Cloud CDN")
    }
    return lines.joined(separator: "\n") + "\n"
  }
}
