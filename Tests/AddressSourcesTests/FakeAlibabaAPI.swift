import AddressSources
import Foundation
import NIOHTTP1

/// Plays Alibaba Cloud's CDN and ESA APIs: checks every request's V3 signature with the
/// independent verifier, checks the call's shape, then answers from a script per domain or
/// site (the last scripted answer repeats).
final class FakeAlibabaAPI: @unchecked Sendable {
  private let lock = NSLock()
  private var secrets: [String: String]
  /// AccessKey ids that are STS keys, with the token they must come with.
  private var tokens: [String: String]
  private var scripts: [String: [TestResponse]] = [:]
  /// `UpdateOriginProtectionIpWhiteList` answers per site; a bare success when none.
  private var confirmScripts: [String: [TestResponse]] = [:]
  private var confirmCalls: [String: Int] = [:]
  private var calls: [String: Int] = [:]
  private(set) var inFlight = 0
  private(set) var maxInFlight = 0
  private(set) var verifiedSignatures = 0

  init(
    secrets: [String: String] = ["LTAI5tTestKeyId": "test-secret"], tokens: [String: String] = [:]
  ) {
    self.secrets = secrets
    self.tokens = tokens
  }

  /// Answers for `key` (a domain or a site id), one per call.
  func script(_ key: String, _ answers: TestResponse...) {
    lock.withLock { scripts[key] = answers }
  }

  /// Accepts more keys: (AccessKey id, secret, security token).
  func allow(_ keys: [(String, String, String)]) {
    lock.withLock {
      for (id, secret, token) in keys {
        secrets[id] = secret
        tokens[id] = token
      }
    }
  }

  func callCount(_ key: String) -> Int { lock.withLock { calls[key] ?? 0 } }

  /// Answers to `UpdateOriginProtectionIpWhiteList` for `site`, one per call.
  func scriptConfirmation(_ site: String, _ answers: TestResponse...) {
    lock.withLock { confirmScripts[site] = answers }
  }

  func confirmationCount(_ site: String) -> Int { lock.withLock { confirmCalls[site] ?? 0 } }
  var maximumConcurrency: Int { lock.withLock { maxInFlight } }
  var signaturesVerified: Int { lock.withLock { verifiedSignatures } }

  func handle(_ request: TestRequest) async -> TestResponse {
    let requestID = UUID().uuidString
    switch IndependentV3Verifier.verify(request, secrets: lock.withLock { secrets }) {
    case .unknownAccessKey:
      return Self.error(
        .notFound, "InvalidAccessKeyId.NotFound", "Specified access key is not found.", requestID)
    case .invalid(let reason):
      return Self.error(
        .badRequest, "SignatureDoesNotMatch",
        "Specified signature is not matched with our calculation. (\(reason))",
        requestID)
    case .valid(let accessKeyID):
      lock.withLock { verifiedSignatures += 1 }
      if let token = lock.withLock({ tokens[accessKeyID] }),
        request.header("x-acs-security-token") != token
      {
        return Self.error(
          .forbidden, "InvalidSecurityToken.Mismatch", "The security token is wrong.", requestID)
      }
    }
    guard request.header("accept") == "application/json", request.body.isEmpty,
      let date = request.header("x-acs-date"), (try? Date(date, strategy: .iso8601)) != nil,
      let nonce = request.header("x-acs-signature-nonce"), nonce.count == 32
    else {
      return Self.error(
        .badRequest, "MissingParameter", "accept, body, x-acs-date or nonce wrong", requestID)
    }
    let key: String
    switch (request.header("x-acs-action"), request.header("x-acs-version"), request.method) {
    case ("DescribeL2VipsByDomain", "2018-05-10", .POST):
      guard let domain = request.query["DomainName"], request.query.count == 1 else {
        return Self.error(.badRequest, "MissingParameter", "DomainName", requestID)
      }
      key = domain
    case ("GetOriginProtection", "2024-09-10", .GET):
      guard let site = request.query["SiteId"], request.query.count == 1 else {
        return Self.error(.badRequest, "MissingParameter", "SiteId", requestID)
      }
      key = site
    case ("UpdateOriginProtectionIpWhiteList", "2024-09-10", .POST):
      guard let site = request.query["SiteId"], request.query.count == 1,
        !site.isEmpty, site.allSatisfy(\.isNumber)
      else {
        return Self.error(.badRequest, "MissingParameter", "SiteId", requestID)
      }
      return lock.withLock {
        let index = confirmCalls[site, default: 0]
        confirmCalls[site] = index + 1
        guard let script = confirmScripts[site], !script.isEmpty else {
          return .json(#"{"RequestId":"\#(requestID)"}"#)
        }
        return script[min(index, script.count - 1)]
      }
    default:
      return Self.error(
        .notFound, "InvalidApi.NotFound", "wrong action, version or method", requestID)
    }
    let answer: TestResponse = lock.withLock {
      let index = calls[key, default: 0]
      calls[key] = index + 1
      inFlight += 1
      maxInFlight = max(maxInFlight, inFlight)
      guard let script = scripts[key], !script.isEmpty else {
        return Self.error(.badRequest, "InvalidDomain.NotFound", "not scripted", requestID)
      }
      return script[min(index, script.count - 1)]
    }
    // Overlap concurrent calls a little so the concurrency limit is observable.
    try? await Task.sleep(for: .milliseconds(5))
    lock.withLock { inFlight -= 1 }
    return answer
  }

  // MARK: - Recorded-style answers

  static func vips(
    _ domain: String, _ vips: [String], requestID: String = "16A96B9A-F203-4EC5-8E43-CB92E68F4CD8"
  )
    -> TestResponse
  {
    let list = vips.map { "\"\($0)\"" }.joined(separator: ",")
    return .json(
      #"{"DomainName":"\#(domain)","RequestId":"\#(requestID)","Vips":{"Vip":[\#(list)]}}"#)
  }

  static func error(
    _ status: HTTPResponseStatus, _ code: String, _ message: String,
    _ requestID: String = "E5D8A6F0-0000-4000-8000-000000000001",
    headers: [(String, String)] = []
  ) -> TestResponse {
    .json(
      #"{"RequestId":"\#(requestID)","HostId":"cdn.aliyuncs.com","Code":"\#(code)","Message":"\#(message)"}"#,
      status: status, headers: headers)
  }

  /// A `GetOriginProtection` answer in the documented shape. `regionalCurrent` and
  /// `regionalLatest` (`[(cidr, region)]`, region `chinese_mainland` or
  /// `global_excluding_chinese_mainland`) are left out of the answer when nil.
  static func originProtection(
    site: String, current: (v4: [String], v6: [String]), latest: (v4: [String], v6: [String]),
    needUpdate: Bool = false,
    regionalCurrent: (v4: [(String, String)], v6: [(String, String)])? = nil,
    regionalLatest: (v4: [(String, String)], v6: [(String, String)])? = nil
  ) -> TestResponse {
    func list(_ values: [String]) -> String {
      "[" + values.map { "\"\($0)\"" }.joined(separator: ",") + "]"
    }
    func regional(_ key: String, _ lists: (v4: [(String, String)], v6: [(String, String)])?)
      -> String
    {
      guard let lists else { return "" }
      func items(_ values: [(String, String)]) -> String {
        "[" + values.map { #"{"Cidr":"\#($0.0)","Region":"\#($0.1)"}"# }.joined(separator: ",")
          + "]"
      }
      return #","\#(key)":{"RegionalIPv4":\#(items(lists.v4)),"RegionalIPv6":\#(items(lists.v6))}"#
    }
    return .json(
      """
      {"RequestId":"CB1A380B-09F0-41BB-A198-72F8FD6DA2FE","SiteId":\(site),"OriginProtection":"on",
       "OriginConverge":"on","NeedUpdate":\(needUpdate),
       "CurrentIPWhitelist":{"IPv4":\(list(current.v4)),"IPv6":\(list(current.v6))},
       "LatestIPWhitelist":{"IPv4":\(list(latest.v4)),"IPv6":\(list(latest.v6))},
       "DiffIPWhitelist":{"AddedIPWhitelist":{"IPv4":[],"IPv6":[]},"RemovedIPWhitelist":{"IPv4":[],"IPv6":[]},
         "NoChangeIpWhitelist":{"IPv4":[],"IPv6":[]}}\(regional("RegionalCurrentIPWhitelist", regionalCurrent))\(regional("RegionalLatestIPWhitelist", regionalLatest))}
      """)
  }
}
