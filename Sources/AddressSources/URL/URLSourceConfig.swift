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

  public init(url: String, format: DocumentFormat? = nil, selectors: [String] = []) {
    self.url = url
    self.format = format
    self.selectors = selectors
  }
}

/// Published lists of the big CDNs, with the right URLs and selectors.
public enum URLPreset: String, Hashable, Sendable, CaseIterable, Codable {
  /// https://www.cloudflare.com/ips-v4 and ips-v6, text.
  case cloudflare
  /// AWS ip-ranges.json, only `CLOUDFRONT_ORIGIN_FACING` (the ranges CloudFront connects to
  /// origins from; the full `CLOUDFRONT` set also holds edge addresses clients talk to).
  case cloudfront
  /// Fastly's public-ip-list JSON.
  case fastly

  public var documents: [URLDocument] {
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
    }
  }
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
