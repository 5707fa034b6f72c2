import AddressSources
import Foundation
import Netfilter

extension Configuration {
  /// A few lines for `origin-guard validate`: what will be guarded and where the list comes
  /// from. Never shows a secret: AccessKey ids are masked, secrets and URL queries left out.
  public var summary: String {
    let ruleset = ruleset
    let protocols = ruleset.protocols.map(\.description).joined(separator: ", ")
    let ports = ruleset.ports.map(String.init).joined(separator: ", ")
    let dropLog =
      ruleset.dropLog.map {
        "dropped packets logged as \(String(reflecting: $0.prefix)) at most \(RateSyntax.format($0.limit))"
      } ?? "dropped packets not logged"
    var lines = [
      "configuration \(path)",
      "table inet \(ruleset.tableName): sets \(ruleset.ipv4SetName), \(ruleset.ipv6SetName); chain \(ruleset.resolvedBaseChainName) (hook \(ruleset.hookMode.rawValue), priority \(ruleset.resolvedPriority)) jumps to chain \(ruleset.guardChainName)",
      "guarded: \(protocols) ports \(ports); established/related \(ruleset.acceptEstablishedRelated ? "accepted" : "checked too"); \(dropLog)",
      "sources (\(sources.count)):",
    ]
    lines += sources.map { source in
      let retain = retainRemoved(for: source)
      return "  " + Self.describe(source)
        + (retain > .zero ? ", removed prefixes kept \(DurationSyntax.format(retain))" : "")
    }
    if !outputs.isEmpty {
      lines.append("outputs (\(outputs.count)), written after every sync that changes them:")
      lines += outputs.map { "  " + Self.describe($0) }
    }
    lines.append(
      "guards: \(guards.minEntries)…\(guards.maxEntries) entries, shrink at most \(YAMLField.describe(guards.maxShrinkPercent))%, prefixes at least /\(guards.minPrefixLengthV4) (IPv4) and /\(guards.minPrefixLengthV6) (IPv6)"
    )
    lines.append(
      "every \(DurationSyntax.format(interval)) (±\(DurationSyntax.format(jitter))); last-known-good lists stand in for up to \(DurationSyntax.format(maxStale)); state in \(stateDirectory); metrics \(metricsFile.map { "to \($0)" } ?? "not written"); log \(logLevel.rawValue) as \(logFormat.rawValue)"
    )
    return lines.joined(separator: "\n")
  }

  static func describe(_ source: SourceConfig) -> String {
    let detail: String
    switch source {
    case .static(let config):
      detail = count(config.prefixes.count, "address", "addresses")
    case .file(let config):
      detail = config.path
    case .url(let config):
      let urls = config.documents.map { withoutSecrets($0.url) }.joined(separator: ", ")
      detail = count(config.documents.count, "document", "documents") + ": " + urls
    case .alibabaCDN(let config):
      detail =
        count(config.domains.count, "domain", "domains") + " at \(config.endpoint), credentials: "
        + describe(config.credentials)
    case .alibabaESA(let config):
      detail =
        count(config.siteIDs.count, "site", "sites")
        + " at \(config.effectiveEndpoint), list: \(config.list.rawValue), credentials: "
        + describe(config.credentials)
        + (config.confirmAfter.map { ", confirms updates pending \(DurationSyntax.format($0))" }
          ?? "")
    }
    return "\(source.name): \(source.kind.rawValue), \(detail)"
  }

  static func describe(_ output: OutputConfig) -> String {
    var parts = [
      "\(output.format.rawValue) to \(output.path) (mode \(FileTrust.octal(UInt32(output.mode)))"
        + (output.ownerName.map { ", owner \($0)" } ?? "") + ")",
      output.sources.map { "sources " + $0.joined(separator: ", ") } ?? "every source",
    ]
    if let check = output.check { parts.append("check: " + check.joined(separator: " ")) }
    if let onChange = output.onChange {
      parts.append("on change: " + onChange.joined(separator: " "))
    }
    if output.check != nil || output.onChange != nil {
      parts.append("commands time out after \(DurationSyntax.format(output.timeout))")
    }
    return "\(output.name): " + parts.joined(separator: "; ")
  }

  static func describe(_ credentials: AlibabaCredentialsConfig) -> String {
    // The role and the endpoint are names, not secrets; the external id and policy stay out.
    guard let role = credentials.assumedRole else { return describeSource(credentials) }
    return "RAM role \(role.arn) (session \(role.sessionName)) at "
      + (credentials.stsEndpoint.map(withoutSecrets) ?? "the default STS endpoint")
      + ", assumed with " + describeSource(credentials)
  }

  private static func describeSource(_ credentials: AlibabaCredentialsConfig) -> String {
    if let inline = credentials.inline {
      return "inline AccessKey \(inline.maskedAccessKeyID)"
    }
    if let file = credentials.file {
      return "credentials_file \(file)" + (credentials.fileProfile.map { " [\($0)]" } ?? "")
    }
    var steps: [String] = []
    if credentials.useEnvironment { steps.append("environment") }
    if credentials.useOIDC { steps.append("OIDC (RRSA)") }
    if credentials.useCLIProfile {
      steps.append(
        ["aliyun CLI profile", credentials.cliProfile].compactMap { $0 }.joined(separator: " "))
    }
    if credentials.useCredentialsINI { steps.append("credentials ini") }
    if credentials.useECSRAMRole {
      steps.append(
        ["ECS RAM role", credentials.ecsRoleName].compactMap { $0 }.joined(separator: " "))
    }
    if credentials.useCredentialsURI { steps.append("credentials URI") }
    return "first of " + steps.joined(separator: ", ")
  }

  /// Scheme, host, port and path: a token in the query or user info stays out of the output.
  static func withoutSecrets(_ url: String) -> String {
    guard var components = URLComponents(string: url) else { return "<url>" }
    let hadQuery = components.query != nil
    components.user = nil
    components.password = nil
    components.query = nil
    components.fragment = nil
    return (components.string ?? "<url>") + (hadQuery ? "?…" : "")
  }

  private static func count(_ number: Int, _ singular: String, _ plural: String) -> String {
    "\(number) \(number == 1 ? singular : plural)"
  }
}
