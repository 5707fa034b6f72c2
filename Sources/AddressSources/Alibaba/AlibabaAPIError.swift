import AddressSet

/// An error answer from an Alibaba Cloud API, classified by its `Code` (the HTTP status is
/// not reliable: the same code comes with 400, 403 or 404 depending on product and era).
public struct AlibabaAPIError: Error, Hashable, Sendable, CustomStringConvertible {
  public let action: String
  public let code: String
  public let message: String
  public let requestID: String?
  public let httpStatus: Int
  /// From the `x-acs-retry-after` header, which Alibaba's SDKs read as milliseconds.
  public let retryAfter: Duration?

  public init(
    action: String, code: String, message: String, requestID: String?, httpStatus: Int,
    retryAfter: Duration? = nil
  ) {
    self.action = action
    self.code = code
    self.message = message
    self.requestID = requestID
    self.httpStatus = httpStatus
    self.retryAfter = retryAfter
  }

  /// Throttling, a busy or failing service: worth another attempt after a pause. Everything
  /// else (credentials, permissions, clock, bad parameters) needs a human.
  public var isRetryable: Bool {
    code.hasPrefix("Throttling") || code.hasPrefix("ServiceUnavailable")
      || [
        "SystemBusy", "ServiceBusy", "InternalError", "SignatureNonceUsed",
        "LastRequestNotComplete",
      ]
      .contains(code)
  }

  /// What the operator should do about it.
  public var advice: String? {
    if code == "SignatureDoesNotMatch" {
      return
        "the AccessKey secret is wrong (or the request was altered in transit); check the secret"
        + " that belongs to this AccessKey id"
    }
    if code.hasPrefix("InvalidAccessKeyId") {
      return
        "the AccessKey id is unknown or disabled; check it in the RAM console and that it is active"
    }
    if code.hasPrefix("InvalidTimeStamp") {
      return "the request time is off by more than 15 minutes; check this host's clock (NTP)"
    }
    if code.hasPrefix("InvalidSecurityToken") {
      return "the STS security token is invalid or expired; renew the temporary credentials"
    }
    if code.hasPrefix("Forbidden") || code == "NoPermission" {
      return "the RAM identity lacks permission; grant \(permission) in its RAM policy"
    }
    if code == "IllegalOperation" && action == "DescribeL2VipsByDomain" {
      return
        "DescribeL2VipsByDomain is granted only to accounts with a daily peak bandwidth of 1 Gbps or more,"
        + " after a support ticket; also check that the domain is a CDN (not DCDN) domain of this account"
    }
    if code == "InvalidDomain.NotFound" || code == "DomainNotFound" {
      return "the domain is not a CDN domain of this account; check the domain list"
    }
    if code == "SiteNotFound" || code == "InvalidSiteId" {
      return "the ESA site id is not a site of this account; check site_ids (ListSites shows them)"
    }
    if code == "OriginProtectionNotExist" {
      return "origin protection is not enabled for this ESA site; enable it in the ESA console"
    }
    if code.hasPrefix("Throttling") {
      return "the API rate limit was hit; lower concurrency or run less often"
    }
    return nil
  }

  private var permission: String {
    switch action {
    case "DescribeL2VipsByDomain": "cdn:DescribeL2VipsByDomain"
    case "GetOriginProtection": "esa:GetOriginProtection"
    default: action
    }
  }

  public var description: String {
    var text = "\(action) failed: \(MessageLimit.clip(code)): \(MessageLimit.clip(message))"
    if let advice { text += " — \(advice)" }
    if let requestID { text += " (request id \(MessageLimit.clip(requestID)))" }
    return text
  }
}
