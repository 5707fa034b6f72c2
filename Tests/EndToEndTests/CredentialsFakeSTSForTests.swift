import Foundation
import TestSupport

/// Answers as Alibaba Cloud STS does, for the binary's `role_arn` and OIDC steps, on the same
/// loopback server as the CDN API (STS calls carry `Action` in the query). The strict checks of
/// the STS protocol are in AddressSourcesTests (FakeSTS); here the answers matter.
enum STSFake {
  static let role = "acs:ram::1234567890:role/origin-guard-reader"
  static let oidcProvider = "acs:ram::1234567890:oidc-provider/ack-rrsa-c0ffee"
  static let accessKeyID = "STS.RoleReliabilityKey3k"
  static let accessKeySecret = "role-reliability-secret-P4sW"
  static let securityToken = "CAIS-role-reliability-token-Hq7N"
  static let oidcToken = "eyJhbGciOiJSUzI1NiJ9.oidc-reliability-token-Vb2x.c2ln"
  static let externalID = "external-reliability-id-T6yE"

  static func isSTS(_ request: NamespaceHTTPServer.Request) -> Bool {
    request.query["Action"] != nil
  }

  /// Temporary credentials valid for `lifetime` from now (negative: already expired).
  static func credentials(lifetime: TimeInterval = 3600) -> NamespaceHTTPServer.Response {
    let expiration = Date().addingTimeInterval(lifetime).formatted(.iso8601)
    return .json(
      """
      {"RequestId":"6894B13B-6D71-4EF5-88FA-F32781734A7F",
       "AssumedRoleUser":{"AssumedRoleId":"344584339364951186:origin-guard","Arn":"\(role)/origin-guard"},
       "Credentials":{"SecurityToken":"\(securityToken)","AccessKeyId":"\(accessKeyID)",
         "AccessKeySecret":"\(accessKeySecret)","Expiration":"\(expiration)"}}
      """)
  }

  /// STS for the calls with `Action`, the CDN API (insisting on the role's token) otherwise.
  static func withCDN(
    _ prefixes: [String],
    sts: @escaping @Sendable (NamespaceHTTPServer.Request) -> NamespaceHTTPServer.Response = { _ in
      credentials()
    }
  ) -> NamespaceHTTPServer.Handler {
    { request in
      if isSTS(request) { return sts(request) }
      guard request.header("x-acs-security-token") == securityToken else {
        return AlibabaFake.error(400, "InvalidSecurityToken.Mismatch", "wrong token")
      }
      return AlibabaFake.vips(for: request, prefixes)
    }
  }
}
