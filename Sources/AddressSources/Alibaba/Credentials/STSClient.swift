import Foundation
import NIOHTTP1

/// Where STS is: `sts_endpoint` when configured, else
/// `sts[-vpc].<ALIBABA_CLOUD_STS_REGION>.aliyuncs.com` (`sts-vpc` when
/// `ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED=true`), else the global endpoint: the rule of Alibaba's
/// credential libraries.
public enum STSEndpoint {
  public static let global = "https://sts.aliyuncs.com"

  public static func resolve(configured: String?, environment: ProcessEnvironment) -> String {
    if let configured { return configured }
    guard let region = environment["ALIBABA_CLOUD_STS_REGION"] else { return global }
    let prefix = environment.flag("ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED") ? "sts-vpc" : "sts"
    return "https://\(prefix).\(region).aliyuncs.com"
  }
}

/// Alibaba Cloud STS (API 2015-04-01): `AssumeRole`, signed like every RPC call with the
/// source credentials (SignatureVersion 1.0, HMAC-SHA1), and `AssumeRoleWithOIDC`, which the
/// OIDC token authenticates and nothing signs. Parameters that carry secrets (the token, the
/// policy) travel in the form body, never in the URL, as Alibaba's own SDKs send them.
struct STSClient: Sendable {
  let endpoint: String
  let clock: any SourceClock
  static let version = "2015-04-01"
  /// STS answers small documents quickly; a slow or huge answer is not STS.
  static let http = HTTPOptions(
    connectTimeout: .seconds(5), timeout: .seconds(15), maxBodyBytes: 64 << 10)

  /// STS hands out secrets: HTTPS, or plain HTTP to the loopback address (tests, a local
  /// proxy), nothing else.
  static func checkEndpoint(_ endpoint: String, role: String) throws(CredentialError) {
    guard let url = URL(string: endpoint), let scheme = url.scheme?.lowercased(),
      let host = url.host, !host.isEmpty, url.path.isEmpty || url.path == "/", url.query == nil,
      scheme == "https" || (scheme == "http" && EndpointPolicy.isLoopback(host))
    else {
      throw .sts(
        role: role, endpoint: endpoint,
        problem:
          "the STS endpoint must be https://host (plain http only to 127.0.0.1, ::1 or localhost), without a path",
        requestID: nil, retryable: false)
    }
  }

  func assumeRole(_ role: AssumedRole, durationSeconds: Int, source: AlibabaCredentials)
    async throws(CredentialError) -> AlibabaCredentials
  {
    var form = [
      "RoleArn": role.arn, "RoleSessionName": role.sessionName,
      "DurationSeconds": String(durationSeconds),
    ]
    form["ExternalId"] = role.externalID
    form["Policy"] = role.policy
    var query = common(action: "AssumeRole")
    query["AccessKeyId"] = source.accessKeyID
    query["SignatureMethod"] = "HMAC-SHA1"
    query["SignatureVersion"] = "1.0"
    query["SecurityToken"] = source.securityToken
    query["Signature"] = RPCV2Signer.signature(
      method: "POST", parameters: query.merging(form) { first, _ in first },
      accessKeySecret: source.accessKeySecret)
    return try await send(
      query: query, form: form, role: role.arn,
      secrets: [source.accessKeySecret, source.securityToken].compactMap { $0 },
      origin: "RAM role \(role.arn) (from \(source.origin))")
  }

  func assumeRoleWithOIDC(
    roleARN: String, providerARN: String, token: String, sessionName: String,
    durationSeconds: Int, origin: String
  ) async throws(CredentialError) -> AlibabaCredentials {
    let form = [
      "RoleArn": roleARN, "OIDCProviderArn": providerARN, "OIDCToken": token,
      "RoleSessionName": sessionName, "DurationSeconds": String(durationSeconds),
    ]
    return try await send(
      query: common(action: "AssumeRoleWithOIDC"), form: form, role: roleARN, secrets: [token],
      origin: origin)
  }

  private func common(action: String) -> [String: String] {
    [
      "Action": action, "Version": Self.version, "Format": "JSON",
      // yyyy-MM-ddTHH:mm:ssZ, UTC: STS refuses a timestamp off by more than 15 minutes.
      "Timestamp": clock.now().formatted(.iso8601),
      "SignatureNonce": UUID().uuidString.lowercased(),
    ]
  }

  private func send(
    query: [String: String], form: [String: String], role: String, secrets: [String],
    origin: String
  ) async throws(CredentialError) -> AlibabaCredentials {
    try Self.checkEndpoint(endpoint, role: role)
    let base = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
    let url = base + "/?" + ACS3Signer.canonicalQueryString(query)
    let response: HTTPResponseData
    do {
      response = try await HTTPTransport.with(Self.http) {
        transport async throws(TransportFailure) in
        try await transport.send(
          .POST, url,
          headers: [
            ("content-type", "application/x-www-form-urlencoded"), ("accept", "application/json"),
            ("user-agent", "origin-guard"),
          ],
          body: Data(ACS3Signer.canonicalQueryString(form).utf8))
      }
    } catch {
      throw .sts(
        role: role, endpoint: endpoint, problem: "\(error)", requestID: nil,
        retryable: Self.isRetryable(error))
    }
    return try Self.credentials(
      from: response, role: role, endpoint: endpoint, now: clock.now(), secrets: secrets,
      origin: origin)
  }

  /// The temporary credentials in an answer, or why there are none.
  static func credentials(
    from response: HTTPResponseData, role: String, endpoint: String, now: Date,
    secrets: [String], origin: String
  ) throws(CredentialError) -> AlibabaCredentials {
    let object = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any]
    let requestID = (object?["RequestId"] as? String).map { MessageText.clip($0, limit: 64) }
    func failure(_ problem: String, _ retryable: Bool = false) -> CredentialError {
      .sts(
        role: role, endpoint: endpoint, problem: problem, requestID: requestID,
        retryable: retryable)
    }
    guard response.status == 200 else {
      throw refusal(response.status, object, secrets: secrets, failure: failure)
    }
    guard let object else { throw failure("the answer is not a JSON object") }
    guard let credentials = object["Credentials"] as? [String: Any],
      let id = credentials["AccessKeyId"] as? String, !id.isEmpty,
      let secret = credentials["AccessKeySecret"] as? String, !secret.isEmpty,
      let token = credentials["SecurityToken"] as? String, !token.isEmpty,
      let expirationText = credentials["Expiration"] as? String,
      let expiration = try? Date(expirationText, strategy: .iso8601)
    else {
      throw failure(
        "the answer lacks Credentials with AccessKeyId, AccessKeySecret, SecurityToken and a valid Expiration"
      )
    }
    guard expiration > now.addingTimeInterval(60) else {
      throw failure(
        "the credentials in the answer expire at \(expirationText), which is not in the future; check this host's clock"
      )
    }
    return AlibabaCredentials(
      accessKeyID: id, accessKeySecret: secret, securityToken: token, expiration: expiration,
      origin: origin)
  }
}

extension STSClient {
  /// An error answer: its Code and Message, with a hint for the refusals an operator fixes.
  fileprivate static func refusal(
    _ status: Int, _ object: [String: Any]?, secrets: [String],
    failure: (String, Bool) -> CredentialError
  ) -> CredentialError {
    let code = (object?["Code"] as? String).map { MessageText.clip($0, limit: 80) }
    // STS messages name parameters, not their values; still, nothing we sent is repeated.
    let message = (object?["Message"] as? String).map {
      MessageText.clip(MessageText.redacting(secrets, in: $0), limit: 300)
    }
    let throttled = code?.hasPrefix("Throttling") == true || code == "ServiceUnavailable"
    var problem = "HTTP \(status)"
    if let code { problem += " \(code)" }
    if let message { problem += ": \(message)" }
    if code == "NoPermission" || code?.hasPrefix("AccessDenied") == true
      || code == "EntityNotExist.Role"
    {
      problem +=
        ". Check that the role exists and that its trust policy lets this identity assume it"
    }
    return failure(problem, throttled || status == 429 || status >= 500)
  }

  /// A timeout or a broken connection may pass; a rejected certificate will not.
  static func isRetryable(_ failure: TransportFailure) -> Bool {
    switch failure {
    case .certificateRejected, .cancelled, .bodyTooLarge: false
    case .timedOut, .connection: true
    }
  }
}

/// Text from a remote party, made fit for an error message.
enum MessageText {
  static func clip(_ text: String, limit: Int) -> String {
    let printable = String(
      String.UnicodeScalarView(
        text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : $0 }))
    return printable.count <= limit ? printable : String(printable.prefix(limit)) + "…"
  }

  static func redacting(_ secrets: [String], in text: String) -> String {
    secrets.filter { !$0.isEmpty }.reduce(text) {
      $0.replacingOccurrences(of: $1, with: "<redacted>")
    }
  }
}
