import Foundation
import Logging

/// The origin-protection address list of Alibaba Cloud ESA sites, from `GetOriginProtection`
/// (API 2024-09-10): `CurrentIPWhitelist` and/or `LatestIPWhitelist` (see `ESAWhitelist`),
/// IPv4 and IPv6, with their regional counterparts (`RegionalCurrentIPWhitelist`,
/// `RegionalLatestIPWhitelist`: `{Cidr, Region}` per address) when the answer has them.
public struct AlibabaESASource: AddressSource {
  public let config: AlibabaESASourceConfig
  let context: SourceContext
  let credentials: AlibabaCredentialChain
  static let action = "GetOriginProtection"
  static let version = "2024-09-10"

  public init(config: AlibabaESASourceConfig, context: SourceContext) {
    self.config = config
    self.context = context
    self.credentials = context.credentialChains.chain(
      source: config.name, config: config.credentials, environment: context.environment,
      clock: context.clock, logger: context.logger)
  }

  public var name: String { config.name }

  /// The addresses of one list of one site's answer.
  struct ListAddresses: @unchecked Sendable {
    /// `CurrentIPWhitelist`, `RegionalLatestIPWhitelist`, …
    let key: String
    let isLatest: Bool
    let addresses: [Any]
  }

  struct SiteAnswer: Sendable {
    let siteID: String
    /// The lists to allow, in answer order.
    let lists: [ListAddresses]
    /// Both lists' addresses when an update is pending, to describe it.
    let pending: (current: [ListAddresses], latest: [ListAddresses])?
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
    var pendingUpdates: [PendingUpdate] = []
    let now = context.clock.now()
    for answer in answers {
      let start = collector.entries.count
      for list in answer.lists {
        try add(list, site: answer.siteID, to: &collector)
      }
      let primary = Origin.esaSite(siteID: answer.siteID, list: Self.primaryKey(list))
      try collector.requireEntries(since: start, origin: primary)
      upstream[primary] = UpstreamVersion(requestID: answer.requestID)
      if let pending = answer.pending {
        pendingUpdates.append(
          try pendingUpdate(
            site: answer.siteID, current: pending.current, latest: pending.latest, at: now))
      }
    }
    collector.log(to: context.logger)
    return SourceResult(
      source: name, kind: .alibabaESA, entries: collector.entries, skipped: collector.skipped,
      fetchedAt: now,
      version: SourceVersion(
        checksum: SourceVersion.checksum(of: collector.entries), upstream: upstream),
      pendingUpdates: pendingUpdates)
  }

  private func add(
    _ list: ListAddresses, site: String, to collector: inout EntryCollector
  ) throws(SourceError) {
    let origin = Origin.esaSite(siteID: site, list: list.key)
    for address in list.addresses {
      if let text = address as? String {
        try collector.add(text, origin: origin)
      } else {
        try collector.reject("\(address)", origin: origin, column: nil, reason: "not a string")
      }
    }
  }

  /// What the pending update of `site` adds and removes, counted in prefixes. Entries the
  /// policy refuses were already reported while collecting the allowed lists.
  func pendingUpdate(
    site: String, current: [ListAddresses], latest: [ListAddresses], at now: Date
  ) throws(SourceError) -> PendingUpdate {
    func prefixes(_ lists: [ListAddresses]) -> [SourceEntry] {
      var policy = config.policy
      policy.onInvalidEntry = .skip
      var collector = EntryCollector(source: name, policy: policy)
      for list in lists { try? add(list, site: site, to: &collector) }
      return collector.entries
    }
    let old = Set(prefixes(current).map(\.prefix))
    let newEntries = prefixes(latest)
    let new = Set(newEntries.map(\.prefix))
    return PendingUpdate(
      subject: Self.subject(site: site), added: new.subtracting(old).count,
      removed: old.subtracting(new).count,
      latestChecksum: SourceVersion.checksum(of: newEntries), since: now)
  }

  /// The list a site's errors and request id are filed under.
  static func primaryKey(_ list: ESAWhitelist) -> String {
    list == .current ? currentKey : latestKey
  }

  /// What a pending update of `site` is filed under (`PendingUpdate.subject`).
  static func subject(site: String) -> String { "ESA site \(site)" }

  static let currentKey = "CurrentIPWhitelist"
  static let latestKey = "LatestIPWhitelist"
  static let regionalCurrentKey = "RegionalCurrentIPWhitelist"
  static let regionalLatestKey = "RegionalLatestIPWhitelist"

  func checkedSites() throws(SourceError) -> [String] {
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

  static func originProtection(
    _ site: String, list: ESAWhitelist, client: AlibabaAPIClient, source: String, logger: Logger
  ) async throws(SourceError) -> SiteAnswer {
    let answer = try await client.call(
      AlibabaRPCCall(action: action, version: version, method: .GET, parameters: ["SiteId": site]),
      origin: .esaSite(siteID: site, list: primaryKey(list)))
    func malformed(_ key: String, _ problem: String) -> SourceError {
      .malformedDocument(
        source: source, origin: .esaSite(siteID: site, list: key), problem: problem,
        requestID: answer.requestID)
    }
    func global(_ key: String) throws(SourceError) -> ListAddresses {
      guard let whitelist = answer.object[key] as? [String: Any] else {
        throw malformed(key, "\(key) is missing")
      }
      var addresses: [Any] = []
      for family in ["IPv4", "IPv6"] {
        switch whitelist[family] {
        case nil, is NSNull: continue
        case let values as [Any]: addresses += values
        default: throw malformed(key, "\(key).\(family) is not a list")
        }
      }
      return ListAddresses(key: key, isLatest: key == latestKey, addresses: addresses)
    }
    /// `{RegionalIPv4: [{Cidr, Region}], RegionalIPv6: [...]}`; nil when the answer has none.
    func regional(_ key: String) throws(SourceError) -> ListAddresses? {
      switch answer.object[key] {
      case nil, is NSNull: return nil
      case let whitelist as [String: Any]:
        var addresses: [Any] = []
        for family in ["RegionalIPv4", "RegionalIPv6"] {
          switch whitelist[family] {
          case nil, is NSNull: continue
          case let values as [Any]:
            for value in values {
              guard let item = value as? [String: Any], let cidr = item["Cidr"] else {
                throw malformed(key, "\(key).\(family) has an item without Cidr")
              }
              addresses.append(cidr)
            }
          default: throw malformed(key, "\(key).\(family) is not a list")
          }
        }
        return ListAddresses(key: key, isLatest: key == regionalLatestKey, addresses: addresses)
      default: throw malformed(key, "\(key) is not an object")
      }
    }
    let needUpdate = answer.object["NeedUpdate"] as? Bool == true
    let current = [try global(currentKey)] + [try regional(regionalCurrentKey)].compactMap { $0 }
    let latest: [ListAddresses]
    // `list: current` never needed the latest list; an answer without it stays usable.
    if list == .current && answer.object[latestKey] == nil {
      latest = []
    } else {
      latest = [try global(latestKey)] + [try regional(regionalLatestKey)].compactMap { $0 }
    }
    if (answer.object["OriginProtection"] as? String) == "off" {
      logger.warning("source \(source): origin protection is off for ESA site \(site)")
    }
    let allowed: [ListAddresses]
    switch list {
    case .union: allowed = needUpdate ? current + latest : latest
    case .current: allowed = current
    case .latest: allowed = latest
    }
    if needUpdate, list != .union {
      logger.notice(
        "source \(source): ESA site \(site) has an update awaiting confirmation; list: \(list.rawValue) refuses some ESA nodes until the next sync after it is confirmed (list: union allows both lists meanwhile)"
      )
    }
    return SiteAnswer(
      siteID: site, lists: allowed,
      pending: needUpdate && !latest.isEmpty ? (current, latest) : nil,
      requestID: answer.requestID)
  }
}
