import Foundation
import NIOHTTP1

/// Plays the ECS instance metadata service at 100.100.100.200: IMDSv2 token, role list,
/// role credentials.
final class FakeMetadataService: @unchecked Sendable {
  private let lock = NSLock()
  private var state = State()

  struct State {
    var role: String? = "OriginGuardRole"
    /// What the token PUT answers; anything but 200 means "no IMDSv2".
    var tokenStatus: HTTPResponseStatus = .ok
    var expiration = Date(timeIntervalSince1970: 1_790_000_000 + 3600)
    var credentialsCode = "Success"
    var credentialCalls = 0
    var failCredentials = false
    var accessKeyID = "STS.ECSRoleKey1"
  }

  static let token = "AQAEAFm-imds-token"

  func update(_ change: (inout State) -> Void) { lock.withLock { change(&state) } }
  var credentialCalls: Int { lock.withLock { state.credentialCalls } }

  func handle(_ request: TestRequest) async -> TestResponse {
    let state: State = lock.withLock { self.state }
    let credentialsPath = "/latest/meta-data/ram/security-credentials/"
    if request.method == .PUT && request.path == "/latest/api/token" {
      guard request.header("X-aliyun-ecs-metadata-token-ttl-seconds") == "21600" else {
        return .text("ttl header missing", status: .badRequest)
      }
      return state.tokenStatus == .ok ? .text(Self.token) : .text("", status: state.tokenStatus)
    }
    // With IMDSv2 available, a request without the token is refused, as when v1 is disabled.
    if state.tokenStatus == .ok && request.header("X-aliyun-ecs-metadata-token") != Self.token {
      return .text("token required", status: .unauthorized)
    }
    if request.method == .GET && request.path == credentialsPath {
      guard let role = state.role else { return .text("", status: .notFound) }
      return .text(role + "\n")
    }
    if request.method == .GET, let role = state.role, request.path == credentialsPath + role {
      let calls = lock.withLock {
        self.state.credentialCalls += 1
        return self.state.credentialCalls
      }
      if state.failCredentials { return .text("", status: .internalServerError) }
      let expiration = state.expiration.formatted(.iso8601)
      return .json(
        """
        {"AccessKeyId":"\(state.accessKeyID)","AccessKeySecret":"ecs-secret-\(calls)","Expiration":"\(expiration)",
         "SecurityToken":"CAIS-ecs-token-\(calls)","LastUpdated":"2026-09-21T10:00:00Z","Code":"\(state.credentialsCode)"}
        """)
    }
    return .text("", status: .notFound)
  }
}
