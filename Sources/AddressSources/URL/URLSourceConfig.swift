/// How to read a downloaded document.
public enum DocumentFormat: String, Hashable, Sendable, CaseIterable, Codable {
  /// One address or prefix per line, `#` comments.
  case text
  /// JSON; the strings are found with `select`.
  case json
}

/// One document to download and where the address strings are inside it.
public struct URLDocument: Hashable, Sendable {
  /// `url`: https://, or http:// to 127.0.0.1, ::1 or localhost only.
  public var url: String
  /// `format`: nil detects it (JSON when the body starts with `[` or `{`, else text).
  public var format: DocumentFormat?
  /// `select`: JSON selectors (see `JSONSelector`); the strings of all selectors are combined.
  /// Empty for text lists and for a JSON document that is itself an array of strings.
  public var selectors: [String]
  /// The Accept header to send instead of the default, for a server that answers another
  /// format unless asked for exactly one (Bunny sends XML without `application/json`).
  public var accept: String?

  public init(
    url: String, format: DocumentFormat? = nil, selectors: [String] = [], accept: String? = nil
  ) {
    self.url = url
    self.format = format
    self.selectors = selectors
    self.accept = accept
  }
}

/// Published lists of the big CDNs, with the right URLs and selectors.
public enum URLPreset: String, Hashable, Sendable, CaseIterable, Codable {
  /// https://www.cloudflare.com/ips-v4 and ips-v6, text.
  case cloudflare
  /// AWS ip-ranges.json, only `CLOUDFRONT_ORIGIN_FACING` (the ranges CloudFront connects to
  /// origins from; the full `CLOUDFRONT` set also holds edge addresses clients talk to).
  case cloudfront
  /// Fastly's public-ip-list JSON: every Fastly address, not only those that reach origins.
  case fastly
  /// Tencent EdgeOne's origin-pull ranges, text, one CIDR per line; `area` narrows them.
  case edgeone
  /// Gcore CDN's public-ip-list JSON: the single addresses of the servers that pull from
  /// origins (`/cdn/public-net-list` has the networks around them, far more than reach us).
  case gcore
  /// Bunny's edge server list, IPv4 and IPv6: single addresses, JSON only when asked for.
  case bunny

  public var documents: [URLDocument] { documents(area: nil) }

  /// The documents, with EdgeOne's `area` query when one is given (only `edgeone` has areas).
  public func documents(area: EdgeOneArea?) -> [URLDocument] {
    switch self {
    case .cloudflare:
      [
        URLDocument(url: "https://www.cloudflare.com/ips-v4", format: .text),
        URLDocument(url: "https://www.cloudflare.com/ips-v6", format: .text),
      ]
    case .cloudfront:
      [
        URLDocument(
          url: "https://ip-ranges.amazonaws.com/ip-ranges.json", format: .json,
          selectors: [
            "prefixes[service=CLOUDFRONT_ORIGIN_FACING].ip_prefix",
            "ipv6_prefixes[service=CLOUDFRONT_ORIGIN_FACING].ipv6_prefix",
          ])
      ]
    case .fastly:
      [
        URLDocument(
          url: "https://api.fastly.com/public-ip-list", format: .json,
          selectors: ["addresses", "ipv6_addresses"])
      ]
    case .edgeone:
      // One document per family: without `version` EdgeOne mixes both into one list, and a
      // per-family URL says which family a failing download was.
      ["v4", "v6"].map { version in
        URLDocument(
          url: "https://api.edgeone.ai/ips?version=\(version)"
            + (area.map { "&area=\($0.rawValue)" } ?? ""),
          format: .text)
      }
    case .gcore:
      [
        URLDocument(
          url: "https://api.gcore.com/cdn/public-ip-list", format: .json,
          selectors: ["addresses", "addresses_v6"], accept: "application/json")
      ]
    case .bunny:
      [
        "https://bunnycdn.com/api/system/edgeserverlist",
        "https://bunnycdn.com/api/system/edgeserverlist/IPv6",
      ]
      .map { URLDocument(url: $0, format: .json, accept: "application/json") }
    }
  }

  /// Whether `area` means something for this preset.
  public var hasAreas: Bool { self == .edgeone }
}

/// EdgeOne's `area` query: which availability zone's origin-pull nodes.
public enum EdgeOneArea: String, Hashable, Sendable, CaseIterable, Codable {
  /// The Global availability zone: every origin-pull node (EdgeOne's default).
  case global
  case mainlandChina = "mainland-china"
  /// The Global availability zone without the Chinese mainland.
  case overseas
}

/// Configuration of a `url` source: one or more documents fetched over HTTPS, every one of
/// which must succeed.
public struct URLSourceConfig: Hashable, Sendable {
  public var name: String
  /// `preset`, or `url` / `format` / `select` (or a list of them under `urls`).
  public var documents: [URLDocument]
  public var http: HTTPOptions
  /// Timeouts, broken connections, HTTP 429 and 5xx are retried; the default is modest since
  /// the next timer run tries again anyway.
  public var retry: RetryPolicy
  public var policy: EntryPolicy

  public init(
    name: String, documents: [URLDocument], http: HTTPOptions = HTTPOptions(),
    retry: RetryPolicy = RetryPolicy(maxAttempts: 3, maxTotal: .seconds(60)),
    policy: EntryPolicy = EntryPolicy()
  ) {
    self.name = name
    self.documents = documents
    self.http = http
    self.retry = retry
    self.policy = policy
  }

  public init(
    name: String, preset: URLPreset, http: HTTPOptions = HTTPOptions(),
    retry: RetryPolicy = RetryPolicy(maxAttempts: 3, maxTotal: .seconds(60)),
    policy: EntryPolicy = EntryPolicy()
  ) {
    self.init(name: name, documents: preset.documents, http: http, retry: retry, policy: policy)
  }
}
