import Crypto
import Foundation
import NIOHTTP1

/// Plays Alibaba Cloud STS (2015-04-01) as strictly as the real one is documented:
/// `AssumeRole` must carry a valid V2 signature (HMAC-SHA1, checked by its own code, not
/// `RPCV2Signer`), every call a fresh Timestamp and an unused SignatureNonce, DurationSeconds
/// between 900 and the role's MaxSessionDuration, the token and the policy in the form body.
final class FakeSTS: @unchecked Sendable {
  struct Role: Sendable {
    var maxSessionDuration = 3600
    var externalID: String?
    /// AccessKey ids allowed to assume it; nil: only OIDC.
    var trusted: Set<String> = []
    var oidcProvider: String?
  }

  struct State {
    var roles: [String: Role] = [:]
    var secrets: [String: String] = [:]
    /// The OIDC token that is valid now; the kubelet rotates it.
    var validToken: String?
    /// Answers in place of the real one, first call first.
    var scripted: [TestResponse] = []
    var calls: [TestRequest] = []
    var nonces: Set<String> = []
    var issued = 0
    var lifetime: TimeInterval?
  }

  private let lock = NSLock()
  private var state = State()
  private let now: @Sendable () -> Date

  init(now: @escaping @Sendable () -> Date) { self.now = now }

  func update(_ change: (inout State) -> Void) { lock.withLock { change(&state) } }
  var calls: [TestRequest] { lock.withLock { state.calls } }

  /// Whether a request is for STS (its parameters are in the query, not V3 headers).
  static func isSTS(_ request: TestRequest) -> Bool { request.query["Action"] != nil }

  func handle(_ request: TestRequest) async -> TestResponse {
    let state: State = lock.withLock {
      self.state.calls.append(request)
      return self.state
    }
    if let answer = lock.withLock({
      self.state.scripted.isEmpty ? nil : self.state.scripted.removeFirst()
    }) {
      return answer
    }
    guard request.method == .POST, request.path == "/",
      request.header("content-type") == "application/x-www-form-urlencoded"
    else {
      return Self.error(.badRequest, "InvalidParameter", "POST / with a form body expected")
    }
    let query = request.query
    let form = Self.form(request.body)
    for secretParameter in ["OIDCToken", "Policy", "AccessKeySecret"]
    where query[secretParameter] != nil {
      return Self.error(.badRequest, "InvalidParameter", "\(secretParameter) belongs in the body")
    }
    guard query["Version"] == "2015-04-01", query["Format"] == "JSON" else {
      return Self.error(.badRequest, "InvalidVersion", "Specified parameter Version is not valid.")
    }
    guard let timestampText = query["Timestamp"], timestampText.hasSuffix("Z"),
      let timestamp = try? Date(timestampText, strategy: .iso8601),
      abs(timestamp.timeIntervalSince(now())) <= 15 * 60
    else {
      return Self.error(
        .badRequest, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
    }
    guard let nonce = query["SignatureNonce"], !nonce.isEmpty,
      lock.withLock({ self.state.nonces.insert(nonce).inserted })
    else {
      return Self.error(
        .badRequest, "SignatureNonceUsed", "Specified signature nonce was used already.")
    }
    let parameters = query.merging(form) { first, _ in first }
    guard let roleARN = parameters["RoleArn"], let role = state.roles[roleARN] else {
      return Self.error(.notFound, "EntityNotExist.Role", "The specified Role not exists .")
    }
    guard let session = parameters["RoleSessionName"],
      session.range(of: #"^[A-Za-z0-9.@_-]{2,64}$"#, options: .regularExpression) != nil
    else {
      return Self.error(
        .badRequest, "InvalidParameter.RoleSessionName", "RoleSessionName is invalid.")
    }
    let duration = parameters["DurationSeconds"].flatMap(Int.init) ?? 3600
    guard duration >= 900, duration <= role.maxSessionDuration else {
      return Self.error(
        .badRequest, "InvalidParameter.DurationSeconds",
        "The Min/Max value of DurationSeconds is 15min/\(role.maxSessionDuration / 60)min.")
    }
    switch query["Action"] {
    case "AssumeRole":
      if let problem = verifySignature(query: query, form: form, secrets: state.secrets) {
        return problem
      }
      guard let id = query["AccessKeyId"], role.trusted.contains(id) else {
        return Self.error(
          .forbidden, "NoPermission",
          "You are not authorized to do this action. You should be authorized by RAM.")
      }
      if let expected = role.externalID, form["ExternalId"] != expected {
        return Self.error(.forbidden, "AccessDenied.ExternalId", "The external id is wrong.")
      }
    case "AssumeRoleWithOIDC":
      guard query["Signature"] == nil, query["AccessKeyId"] == nil else {
        return Self.error(.badRequest, "InvalidParameter", "AssumeRoleWithOIDC is not signed")
      }
      guard let provider = form["OIDCProviderArn"], provider == role.oidcProvider else {
        return Self.error(
          .notFound, "EntityNotExist.OIDCProvider", "The OIDC provider does not exist.")
      }
      guard let token = form["OIDCToken"], token == state.validToken else {
        return Self.error(
          .badRequest, "AuthenticationFail.OIDCToken.Expired", "The OIDC token has expired.")
      }
    default:
      return Self.error(.notFound, "InvalidAction.NotFound", "Specified api is not found.")
    }
    let issued = lock.withLock {
      self.state.issued += 1
      return self.state.issued
    }
    let expiration = now().addingTimeInterval(state.lifetime ?? TimeInterval(duration))
    return .json(
      """
      {"RequestId":"6894B13B-6D71-4EF5-88FA-F32781734A7F",
       "AssumedRoleUser":{"AssumedRoleId":"344584339364951186:\(session)","Arn":"\(roleARN)/\(session)"},
       "Credentials":{"SecurityToken":"CAIS-sts-token-\(issued)","AccessKeyId":"STS.NUgYrLnoC37mZZCNnAbez\(issued)",
         "AccessKeySecret":"sts-secret-\(issued)","Expiration":"\(expiration.formatted(.iso8601))"}}
      """)
  }

  /// STS's V2 rule, rebuilt from what arrived: all parameters but Signature, sorted, RFC 3986
  /// encoded; `POST&%2F&` + the encoded query; HMAC-SHA1 keyed by `secret&`.
  private func verifySignature(
    query: [String: String], form: [String: String], secrets: [String: String]
  )
    -> TestResponse?
  {
    guard query["SignatureMethod"] == "HMAC-SHA1", query["SignatureVersion"] == "1.0",
      let id = query["AccessKeyId"], let claimed = query["Signature"]
    else {
      return Self.error(
        .badRequest, "MissingParameter",
        "SignatureMethod, SignatureVersion, AccessKeyId or Signature")
    }
    guard let secret = secrets[id] else {
      return Self.error(
        .notFound, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
    }
    func encode(_ text: String) -> String {
      let allowed = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")
      return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
    var parameters = query.merging(form) { first, _ in first }
    parameters["Signature"] = nil
    let canonical = parameters.sorted { $0.key < $1.key }.map {
      encode($0.key) + "=" + encode($0.value)
    }
    .joined(separator: "&")
    let stringToSign = "POST&" + encode("/") + "&" + encode(canonical)
    let code = HMAC<Insecure.SHA1>.authenticationCode(
      for: Data(stringToSign.utf8), using: SymmetricKey(data: Data((secret + "&").utf8)))
    guard Data(code).base64EncodedString() == claimed else {
      return Self.error(
        .badRequest, "SignatureDoesNotMatch",
        "Specified signature is not matched with our calculation.")
    }
    return nil
  }

  static func form(_ body: [UInt8]) -> [String: String] {
    var result: [String: String] = [:]
    for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
      let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
      let name = String(parts[0]).removingPercentEncoding ?? String(parts[0])
      let value = parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? "") : ""
      result[name] = value
    }
    return result
  }

  static func error(_ status: HTTPResponseStatus, _ code: String, _ message: String) -> TestResponse
  {
    .json(
      #"{"RequestId":"E5D8A6F0-0000-4000-8000-0000000000A1","HostId":"sts.aliyuncs.com","Code":"\#(code)","Message":"\#(message)","Recommend":"https://api.aliyun.com/troubleshoot?q=\#(code)"}"#,
      status: status)
  }
}
