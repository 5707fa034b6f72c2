import Foundation

/// The back-to-origin (L2) addresses of Alibaba Cloud CDN domains, from
/// `DescribeL2VipsByDomain` (API 2018-05-10), one call per domain, union of all answers.
///
/// Every domain must answer with a non-empty, well-formed list; one failing domain fails the
/// source, since applying the others' union would lock that domain's L2 nodes out.
public struct AlibabaCDNSource: AddressSource {
  public let config: AlibabaCDNSourceConfig
  private let context: SourceContext
  private let credentials: AlibabaCredentialChain
  static let action = "DescribeL2VipsByDomain"
  static let version = "2018-05-10"

  public init(config: AlibabaCDNSourceConfig, context: SourceContext) {
    self.config = config
    self.context = context
    self.credentials = context.credentialChains.chain(
      source: config.name, config: config.credentials, environment: context.environment,
      clock: context.clock, logger: context.logger)
  }

  public var name: String { config.name }

  private struct DomainAnswer: @unchecked Sendable {
    let domain: String
    // Strings as the API gave them, or non-strings to report as invalid entries.
    let vips: [Any]
    let requestID: String?
  }

  public func fetch() async throws(SourceError) -> SourceResult {
    let domains = try checkedDomains()
    let endpoint = try AlibabaAPIClient.endpointURL(config.endpoint, source: name)
    try config.policy.validate(source: name)
    try config.http.validate(source: name)
    try config.retry.validate(source: name)
    guard config.maxCallsPerSecond > 0 else {
      throw .invalidConfiguration(source: name, problem: "max_calls_per_second must be positive")
    }
    let retrying = Retrying(policy: config.retry, clock: context.clock, logger: context.logger)
    let answers = try await HTTPTransport.with(config.http) { transport async throws(SourceError) in
      let client = AlibabaAPIClient(
        source: name, endpoint: endpoint, credentials: credentials, clock: context.clock,
        pacer: CallPacer(callsPerSecond: config.maxCallsPerSecond, clock: context.clock),
        transport: transport)
      return try await mapConcurrently(domains, limit: min(config.concurrency, 10)) {
        [name] domain async throws(SourceError) in
        try await retrying.run("source \(name): domain \(domain)") { () async throws(SourceError) in
          try await Self.describe(domain, client: client, source: name)
        }
      }
    }

    var collector = EntryCollector(source: name, policy: config.policy)
    var upstream: [Origin: UpstreamVersion] = [:]
    for answer in answers {
      let origin = Origin.cdnDomain(answer.domain)
      let start = collector.entries.count
      for vip in answer.vips {
        if let text = vip as? String {
          try collector.add(text, origin: origin)
        } else {
          try collector.reject("\(vip)", origin: origin, column: nil, reason: "not a string")
        }
      }
      try collector.requireEntries(since: start, origin: origin)
      upstream[origin] = UpstreamVersion(requestID: answer.requestID)
    }
    collector.log(to: context.logger)
    return SourceResult(
      source: name, kind: .alibabaCDN, entries: collector.entries, skipped: collector.skipped,
      fetchedAt: context.clock.now(),
      version: SourceVersion(
        checksum: SourceVersion.checksum(of: collector.entries), upstream: upstream))
  }

  private func checkedDomains() throws(SourceError) -> [String] {
    var seen = Set<String>()
    var domains: [String] = []
    for raw in config.domains {
      let domain = raw.trimmingSpaces.lowercased()
      guard !domain.isEmpty, !domain.contains(where: { $0.isWhitespace || "/:?#@".contains($0) })
      else {
        throw .invalidConfiguration(
          source: name,
          problem:
            "\(String(reflecting: raw)) is not a domain name (write www.example.com, not a URL)")
      }
      if seen.insert(domain).inserted { domains.append(domain) }
    }
    guard !domains.isEmpty else {
      throw .invalidConfiguration(source: name, problem: "no domains configured")
    }
    guard config.concurrency >= 1 else {
      throw .invalidConfiguration(source: name, problem: "concurrency must be at least 1")
    }
    return domains
  }

  private static func describe(_ domain: String, client: AlibabaAPIClient, source: String)
    async throws(SourceError)
    -> DomainAnswer
  {
    let origin = Origin.cdnDomain(domain)
    let answer = try await client.call(
      AlibabaRPCCall(
        action: action, version: version, method: .POST, parameters: ["DomainName": domain]),
      origin: origin)
    func malformed(_ problem: String) -> SourceError {
      .malformedDocument(
        source: source, origin: origin, problem: problem, requestID: answer.requestID)
    }
    if let answered = answer.object["DomainName"] as? String, answered.lowercased() != domain {
      throw malformed("asked for \(domain) but the answer is for \(answered)")
    }
    // Documented shape: {"Vips": {"Vip": [...]}}; DCDN's flat {"Vips": [...]} is accepted too.
    switch answer.object["Vips"] {
    case let vips as [String: Any]:
      guard let list = vips["Vip"] as? [Any] else {
        throw malformed("Vips.Vip is missing or not a list")
      }
      return DomainAnswer(domain: domain, vips: list, requestID: answer.requestID)
    case let list as [Any]:
      return DomainAnswer(domain: domain, vips: list, requestID: answer.requestID)
    default:
      throw malformed("Vips is missing")
    }
  }
}
