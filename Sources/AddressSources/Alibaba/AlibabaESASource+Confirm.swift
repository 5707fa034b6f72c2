import Foundation

/// `confirm_after`: `UpdateOriginProtectionIpWhiteList` (API 2024-09-10, RPC, `SiteId` only)
/// switches a site to its latest list.
extension AlibabaESASource: UpdateConfirming {
  static let confirmAction = "UpdateOriginProtectionIpWhiteList"

  public var confirmAfter: Duration? { config.list == .union ? config.confirmAfter : nil }

  public func confirm(_ update: PendingUpdate) async throws(SourceError) -> ConfirmationAnswer {
    let sites = try checkedSites()
    guard let site = sites.first(where: { Self.subject(site: $0) == update.subject }) else {
      throw .invalidConfiguration(
        source: name, problem: "\(update.subject) is not one of the source's site_ids")
    }
    let endpoint = try AlibabaAPIClient.endpointURL(config.effectiveEndpoint, source: name)
    let logger = context.logger
    return try await HTTPTransport.with(config.http) { transport async throws(SourceError) in
      let client = AlibabaAPIClient(
        source: name, endpoint: endpoint, credentials: credentials, clock: context.clock,
        pacer: CallPacer(callsPerSecond: config.maxCallsPerSecond, clock: context.clock),
        transport: transport)
      // ESA confirms whatever its latest list is now: make sure it is still the one we hold.
      let answer = try await Self.originProtection(
        site, list: .union, client: client, source: name, logger: logger)
      guard let pending = answer.pending else {
        return .notSent(reason: "ESA reports no pending update any more (confirmed elsewhere?)")
      }
      let now = try pendingUpdate(
        site: site, current: pending.current, latest: pending.latest, at: context.clock.now())
      guard now.latestChecksum == update.latestChecksum else {
        return .notSent(
          reason: "ESA published another latest list since the sync; the next sync applies it first"
        )
      }
      let confirmed = try await client.call(
        AlibabaRPCCall(
          action: Self.confirmAction, version: Self.version, method: .POST,
          parameters: ["SiteId": site]),
        origin: .esaSite(siteID: site, list: Self.latestKey))
      return .confirmed(requestID: confirmed.requestID)
    }
  }
}
