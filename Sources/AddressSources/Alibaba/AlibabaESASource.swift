import Foundation
import Logging

/// The origin-protection address list of Alibaba Cloud ESA sites, from `GetOriginProtection`
/// (API 2024-09-10): `CurrentIPWhitelist` or `LatestIPWhitelist`, IPv4 and IPv6.
public struct AlibabaESASource: AddressSource {
  public let config: AlibabaESASourceConfig
  private let context: SourceContext
  private let credentials: AlibabaCredentialChain
  static let action = "GetOriginProtection"
  static let version = "2024-09-10"

  public init(config: AlibabaESASourceConfig, context: SourceContext) {
    self.config = config
    self.context = context
    self.credentials = AlibabaCredentialChain(
      config: config.credentials, environment: context.environment, clock: context.clock,
      logger: context.logger)
  }

  public var name: String { config.name }

  private struct SiteAnswer: @unchecked Sendable {
    let siteID: String
    let addresses: [Any]
    let requestID: String?
  }

  public func fetch() async throws(SourceError) -> SourceResult {
    let sites = try checkedSites()
    let endpoint = try AlibabaAPIClient.endpointURL(config.effectiveEndpoint, source: name)
    try config.policy.validate(source: name)
    try config.http.validate(source: name)
    try config.retry.validate(source: name)
    guard config.maxCallsPerSecond > 0 else {
      throw .invalidConfiguration(source: name, problem: "max_calls_per_second must be positive")
    }
    let retrying = Retrying(policy: config.retry, clock: context.clock, logger: context.logger)
    let list = config.list
    let logger = context.logger
    let answers = try await HTTPTransport.with(config.http) { transport async throws(SourceError) in
      let client = AlibabaAPIClient(
        source: name, endpoint: endpoint, credentials: credentials, clock: context.clock,
        pacer: CallPacer(callsPerSecond: config.maxCallsPerSecond, clock: context.clock),
        transport: transport)
      var answers: [SiteAnswer] = []
      for site in sites {
        answers.append(
          try await retrying.run("source \(name): ESA site \(site)") {
            () async throws(SourceError) in
            try await Self.originProtection(
              site, list: list, client: client, source: name, logger: logger)
          })
      }
      return answers
    }

    var collector = EntryCollector(source: name, policy: config.policy)
    var upstream: [Origin: UpstreamVersion] = [:]
    for answer in answers {
      let origin = Origin.esaSite(siteID: answer.siteID, list: list.responseKey)
      let start = collector.entries.count
      for address in answer.addresses {
        if let text = address as? String {
          try collector.add(text, origin: origin)
        } else {
          try collector.reject("\(address)", origin: origin, column: nil, reason: "not a string")
        }
      }
      try collector.requireEntries(since: start, origin: origin)
      upstream[origin] = UpstreamVersion(requestID: answer.requestID)
    }
    collector.log(to: context.logger)
    return SourceResult(
      source: name, kind: .alibabaESA, entries: collector.entries, skipped: collector.skipped,
      fetchedAt: context.clock.now(),
      version: SourceVersion(
        checksum: SourceVersion.checksum(of: collector.entries), upstream: upstream))
  }

  private func checkedSites() throws(SourceError) -> [String] {
    var sites: [String] = []
    for raw in config.siteIDs {
      let site = raw.trimmingSpaces
      // SiteId is a long in the API: digits only, so nothing odd reaches the query string.
      guard !site.isEmpty, site.allSatisfy(\.isASCII), site.allSatisfy(\.isNumber) else {
        throw .invalidConfiguration(
          source: name, problem: "ESA site id \(String(reflecting: raw)) is not a number")
      }
      if !sites.contains(site) { sites.append(site) }
    }
    guard !sites.isEmpty else {
      throw .invalidConfiguration(source: name, problem: "no site_ids configured")
    }
    guard !config.region.isEmpty,
      config.region.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" })
    else {
      throw .invalidConfiguration(
        source: name, problem: "region \(String(reflecting: config.region)) is not a region id")
    }
    return sites
  }

  private static func originProtection(
    _ site: String, list: ESAWhitelist, client: AlibabaAPIClient, source: String, logger: Logger
  ) async throws(SourceError) -> SiteAnswer {
    let origin = Origin.esaSite(siteID: site, list: list.responseKey)
    let answer = try await client.call(
      AlibabaRPCCall(action: action, version: version, method: .GET, parameters: ["SiteId": site]),
      origin: origin)
    func malformed(_ problem: String) -> SourceError {
      .malformedDocument(
        source: source, origin: origin, problem: problem, requestID: answer.requestID)
    }
    guard let whitelist = answer.object[list.responseKey] as? [String: Any] else {
      throw malformed("\(list.responseKey) is missing")
    }
    var addresses: [Any] = []
    for family in ["IPv4", "IPv6"] {
      switch whitelist[family] {
      case nil, is NSNull: continue
      case let values as [Any]: addresses += values
      default: throw malformed("\(list.responseKey).\(family) is not a list")
      }
    }
    if (answer.object["OriginProtection"] as? String) == "off" {
      logger.warning("source \(source): origin protection is off for ESA site \(site)")
    }
    if list == .current, answer.object["NeedUpdate"] as? Bool == true {
      logger.notice(
        "source \(source): ESA site \(site) has a newer list awaiting confirmation (list: latest would allow it now)"
      )
    }
    return SiteAnswer(siteID: site, addresses: addresses, requestID: answer.requestID)
  }
}
