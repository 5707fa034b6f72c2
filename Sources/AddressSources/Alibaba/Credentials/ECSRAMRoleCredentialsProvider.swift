import AsyncHTTPClient
import Foundation
import Logging
import NIOHTTP1

/// Step 5: the RAM role attached to this ECS instance, from the instance metadata service.
///
/// IMDSv2 first (`PUT /latest/api/token`, then the token on every request); tokenless v1 only
/// when the token request is refused and `ALIBABA_CLOUD_IMDSV1_DISABLED` is not `true`. The
/// role is the configured one, `ALIBABA_CLOUD_ECS_METADATA`, or the one the service lists.
/// Credentials are temporary; the chain refreshes them before `Expiration`.
struct ECSRAMRoleCredentialsProvider: CredentialProvider {
  let endpoint: String
  let roleName: String?
  let environment: ProcessEnvironment
  let logger: Logger
  var name: String { "ECS RAM role" }

  /// The metadata service is link-local and answers at once, or not at all: short limits, yet
  /// enough for a host busy at boot (a loaded 2-core test machine once took more than 3 s).
  static let http = HTTPOptions(
    connectTimeout: .seconds(2), timeout: .seconds(6), maxBodyBytes: 64 << 10)
  static let tokenTTLSeconds = "21600"

  func resolve() async throws(CredentialError) -> CredentialLookup {
    if environment.flag("ALIBABA_CLOUD_ECS_METADATA_DISABLED") {
      return .notConfigured("\(name): disabled by ALIBABA_CLOUD_ECS_METADATA_DISABLED")
    }
    try checkEndpoint(requestedBy: name)
    return try await HTTPTransport.with(Self.http) { transport async throws(CredentialError) in
      let token: String?
      switch try await self.token(transport) {
      case .token(let value): token = value
      case .tokenless: token = nil
      case .unreachable(let reason):
        // Nothing answers: this is not an ECS instance (or its metadata service is down).
        return .notConfigured("\(name): metadata service \(endpoint) unreachable (\(reason))")
      }
      guard let role = try await role(transport, token: token) else {
        return .notConfigured("\(name): no RAM role attached to this instance")
      }
      return .found(try await credentials(transport, role: role, token: token, requestedBy: name))
    }
  }

  /// Credentials of a role named elsewhere (a CLI profile in EcsRamRole mode, an ini section
  /// of type ecs_ram_role). Here a missing metadata service is an error.
  func credentials(roleName: String?, requestedBy: String) async throws(CredentialError)
    -> AlibabaCredentials
  {
    try checkEndpoint(requestedBy: requestedBy)
    return try await HTTPTransport.with(Self.http) { transport async throws(CredentialError) in
      let token: String?
      switch try await self.token(transport) {
      case .token(let value): token = value
      case .tokenless: token = nil
      case .unreachable(let reason):
        throw .metadataService(url: endpoint, problem: "unreachable (\(reason))", retryable: true)
      }
      var role = roleName
      if role == nil { role = try await self.role(transport, token: token) }
      guard let role else {
        throw .incomplete(
          provider: requestedBy, problem: "no RAM role is attached to this ECS instance")
      }
      return try await credentials(transport, role: role, token: token, requestedBy: requestedBy)
    }
  }

  /// Credentials arrive over plain HTTP, so only from the link-local metadata address (or the
  /// loopback address, for tests).
  private func checkEndpoint(requestedBy: String) throws(CredentialError) {
    guard let url = URL(string: endpoint), let host = url.host, url.scheme?.lowercased() == "http",
      host == "100.100.100.200" || EndpointPolicy.isLoopback(host),
      url.path.isEmpty || url.path == "/"
    else {
      throw .incomplete(
        provider: requestedBy,
        problem:
          "metadata_endpoint \(endpoint) must be http://100.100.100.200 (or a loopback address for tests)"
      )
    }
  }

  // MARK: - Metadata requests

  private enum TokenOutcome {
    case token(String)
    /// The service refused to issue a token: go on with IMDSv1.
    case tokenless
    case unreachable(String)
  }

  /// The IMDSv2 session token.
  private func token(_ transport: HTTPTransport) async throws(CredentialError) -> TokenOutcome {
    let response: HTTPResponseData
    do {
      response = try await transport.send(
        .PUT, endpoint + "/latest/api/token",
        headers: [("X-aliyun-ecs-metadata-token-ttl-seconds", Self.tokenTTLSeconds)])
    } catch {
      return .unreachable(error.description)
    }
    if response.status == 200, let token = String(data: response.body, encoding: .utf8),
      !token.isEmpty
    {
      return .token(token)
    }
    if environment.flag("ALIBABA_CLOUD_IMDSV1_DISABLED") {
      throw .metadataService(
        url: endpoint,
        problem: "IMDSv2 token request answered HTTP \(response.status) and IMDSv1 is disabled",
        retryable: response.status >= 500)
    }
    logger.warning(
      "ECS metadata: no IMDSv2 token (HTTP \(response.status)); falling back to IMDSv1")
    return .tokenless
  }

  private func role(_ transport: HTTPTransport, token: String?) async throws(CredentialError)
    -> String?
  {
    if let roleName { return roleName }
    if let fromEnvironment = environment["ALIBABA_CLOUD_ECS_METADATA"] { return fromEnvironment }
    let response = try await get(
      transport, "/latest/meta-data/ram/security-credentials/", token: token)
    if response.status == 404 { return nil }
    guard response.status == 200 else {
      throw .metadataService(
        url: endpoint, problem: "role list answered HTTP \(response.status)",
        retryable: response.status >= 500)
    }
    let roles = String(decoding: response.body, as: UTF8.self).split(whereSeparator: \.isNewline)
      .map { String($0).trimmingSpaces }.filter { !$0.isEmpty }
    return roles.first
  }

  private func credentials(
    _ transport: HTTPTransport, role: String, token: String?, requestedBy: String
  )
    async throws(CredentialError) -> AlibabaCredentials
  {
    let path = "/latest/meta-data/ram/security-credentials/" + ACS3Signer.percentEncode(role)
    let response = try await get(transport, path, token: token)
    guard response.status == 200 else {
      let hint =
        response.status == 404
        ? " (is the role \(String(reflecting: role)) attached to this instance?)" : ""
      throw .metadataService(
        url: endpoint,
        problem: "credentials of role \(role) answered HTTP \(response.status)\(hint)",
        retryable: response.status >= 500)
    }
    do throws(TemporaryCredentialsDocument.Problem) {
      return try TemporaryCredentialsDocument(response.body).credentials(
        origin: requestedBy == name ? "\(name) \(role)" : "\(requestedBy) (ECS RAM role \(role))")
    } catch {
      let problem =
        switch error {
        case .notJSON: " are not a JSON object"
        case .code(let code): ": Code \(code)"
        case .incomplete:
          " lack AccessKeyId, AccessKeySecret, SecurityToken or a valid Expiration"
        }
      throw .metadataService(
        url: endpoint, problem: "credentials of role \(role)\(problem)",
        retryable: error.retryable)
    }
  }

  private func get(_ transport: HTTPTransport, _ path: String, token: String?)
    async throws(CredentialError)
    -> HTTPResponseData
  {
    do {
      return try await transport.send(
        .GET, endpoint + path, headers: token.map { [("X-aliyun-ecs-metadata-token", $0)] } ?? [])
    } catch {
      throw .metadataService(url: endpoint, problem: "\(path): \(error)", retryable: true)
    }
  }
}
