import Foundation

/// An Alibaba Cloud AccessKey pair, possibly temporary (STS) with a security token.
///
/// Every textual form — `description`, `debugDescription`, `dump`, string interpolation in a
/// log line — shows the AccessKey id shortened and the secret and token as `<redacted>`.
public struct AlibabaCredentials: Hashable, Sendable, CustomStringConvertible,
  CustomDebugStringConvertible,
  CustomReflectable
{
  public let accessKeyID: String
  public let accessKeySecret: String
  /// Set for STS credentials; sent and signed as `x-acs-security-token`.
  public let securityToken: String?
  /// When temporary credentials stop working; nil for a permanent AccessKey.
  public let expiration: Date?
  /// Which step of the chain produced them, for logs ("environment", "ECS RAM role web").
  public let origin: String

  public init(
    accessKeyID: String, accessKeySecret: String, securityToken: String? = nil,
    expiration: Date? = nil,
    origin: String = "configuration"
  ) {
    self.accessKeyID = accessKeyID
    self.accessKeySecret = accessKeySecret
    self.securityToken = securityToken
    self.expiration = expiration
    self.origin = origin
  }

  /// The AccessKey id with its middle hidden: enough to tell keys apart in a log.
  public var maskedAccessKeyID: String {
    guard accessKeyID.count > 8 else { return "****" }
    return accessKeyID.prefix(4) + "****" + accessKeyID.suffix(4)
  }

  public var description: String {
    var parts = ["accessKeyID: \(maskedAccessKeyID)", "accessKeySecret: <redacted>"]
    if securityToken != nil { parts.append("securityToken: <redacted>") }
    if let expiration { parts.append("expiration: \(expiration.formatted(.iso8601))") }
    parts.append("origin: \(origin)")
    return "AlibabaCredentials(" + parts.joined(separator: ", ") + ")"
  }

  public var debugDescription: String { description }

  public var customMirror: Mirror {
    Mirror(
      self,
      children: [
        "accessKeyID": maskedAccessKeyID,
        "accessKeySecret": "<redacted>",
        "securityToken": securityToken == nil ? "nil" : "<redacted>",
        "expiration": expiration as Any,
        "origin": origin,
      ], displayStyle: .struct)
  }
}
