/// Configuration of an `alibaba-cdn` source: the back-to-origin (L2) addresses of every listed
/// CDN domain, from `DescribeL2VipsByDomain`, one call per domain.
public struct AlibabaCDNSourceConfig: Hashable, Sendable {
  public var name: String
  /// `domains`: accelerated domains as added in the CDN console. Every one must answer with a
  /// non-empty list, or the source fails.
  public var domains: [String]
  /// `endpoint`: `https://cdn.aliyuncs.com`, or a regional one such as
  /// `https://cdn.ap-southeast-1.aliyuncs.com`.
  public var endpoint: String
  public var credentials: AlibabaCredentialsConfig
  public var retry: RetryPolicy
  public var http: HTTPOptions
  /// `concurrency`: calls in flight at once (1 ... 10).
  public var concurrency: Int
  /// `max_calls_per_second`: pacing of call starts, retries included. The API allows 40 calls/s
  /// per account, shared with every other tool using that account.
  public var maxCallsPerSecond: Double
  public var policy: EntryPolicy

  public init(
    name: String, domains: [String], endpoint: String = "https://cdn.aliyuncs.com",
    credentials: AlibabaCredentialsConfig = AlibabaCredentialsConfig(),
    retry: RetryPolicy = RetryPolicy(),
    http: HTTPOptions = HTTPOptions(), concurrency: Int = 4, maxCallsPerSecond: Double = 10,
    policy: EntryPolicy = EntryPolicy()
  ) {
    self.maxCallsPerSecond = maxCallsPerSecond
    self.name = name
    self.domains = domains
    self.endpoint = endpoint
    self.credentials = credentials
    self.retry = retry
    self.http = http
    self.concurrency = concurrency
    self.policy = policy
  }
}

/// Which list of an ESA site's origin protection to use.
public enum ESAWhitelist: String, Hashable, Sendable, CaseIterable, Codable {
  /// Both lists while an update is pending (`NeedUpdate`), the latest alone once none is
  /// (the default). ESA sends from the current list until the update is confirmed and from
  /// the latest right after, so any single list refuses some nodes for up to one interval.
  case union
  /// `CurrentIPWhitelist` only: nodes of a pending update are refused from the moment it is
  /// confirmed until the next sync.
  case current
  /// `LatestIPWhitelist` only: nodes the pending update removes are refused while ESA still
  /// sends from them, until the update is confirmed.
  case latest
}

/// Configuration of an `alibaba-esa` source: an ESA site's origin-protection address list,
/// from `GetOriginProtection`.
public struct AlibabaESASourceConfig: Hashable, Sendable {
  public var name: String
  /// `site_ids`: ESA site ids (ListSites shows them), one call each.
  public var siteIDs: [String]
  /// `region`: picks the default endpoint `https://esa.<region>.aliyuncs.com`.
  public var region: String
  /// `endpoint`: overrides the region's endpoint.
  public var endpoint: String?
  /// `list`: `union` (the default), `current` or `latest`.
  public var list: ESAWhitelist
  public var credentials: AlibabaCredentialsConfig
  public var retry: RetryPolicy
  public var http: HTTPOptions
  /// `max_calls_per_second`: pacing of call starts, retries included.
  public var maxCallsPerSecond: Double
  public var policy: EntryPolicy
  /// `confirm_after`: confirm a pending update (`UpdateOriginProtectionIpWhiteList`) once it
  /// has been pending this long and the kernel holds both lists; nil (the default) never does.
  /// Only with `list: union`: any other list does not hold both.
  public var confirmAfter: Duration? = nil

  public init(
    name: String, siteIDs: [String], region: String = "cn-hangzhou", endpoint: String? = nil,
    list: ESAWhitelist = .union,
    credentials: AlibabaCredentialsConfig = AlibabaCredentialsConfig(),
    retry: RetryPolicy = RetryPolicy(), http: HTTPOptions = HTTPOptions(),
    maxCallsPerSecond: Double = 10,
    policy: EntryPolicy = EntryPolicy()
  ) {
    self.maxCallsPerSecond = maxCallsPerSecond
    self.name = name
    self.siteIDs = siteIDs
    self.region = region
    self.endpoint = endpoint
    self.list = list
    self.credentials = credentials
    self.retry = retry
    self.http = http
    self.policy = policy
  }

  /// The endpoint actually called.
  public var effectiveEndpoint: String { endpoint ?? "https://esa.\(region).aliyuncs.com" }
}
