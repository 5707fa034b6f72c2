import AddressSet

/// Why a source produced no list. Every case names the source and says what to check.
///
/// `isRetryable` separates "try again later" (throttling, timeouts, a busy API) from "a human
/// must fix something" (credentials, permissions, a broken list). The reconciler keeps the last
/// good list in either case; it never applies an empty or partial one.
public enum SourceError: Error, Sendable, CustomStringConvertible {
  /// The source's configuration cannot work (no domains, an unknown preset, a bad selector).
  case invalidConfiguration(source: String, problem: String)
  /// A local file could not be read.
  case unreadableFile(source: String, path: String, reason: String)
  /// An entry is not an address or prefix. `column` is 1-based within the line when known.
  case invalidEntry(source: String, origin: Origin, entry: String, column: Int?, reason: String)
  /// An entry is broader than the configured minimum prefix length for its family.
  case prefixTooBroad(
    source: String, origin: Origin, entry: String, prefix: AnyIPPrefix, minimumLength: Int)
  /// The source (or one domain or site inside it, when `origin` is set) returned no prefixes.
  case emptyResult(source: String, origin: Origin?)
  /// A response or file is not in the expected shape (bad JSON, a missing field).
  case malformedDocument(source: String, origin: Origin, problem: String, requestID: String?)
  /// A plain `http://` URL to a host other than the loopback address.
  case insecureURL(source: String, url: String)
  /// An HTTP status that is neither success nor an Alibaba Cloud API error body.
  case httpStatus(source: String, url: String, status: Int, requestID: String?)
  /// The response body exceeded the configured size limit; the download was aborted.
  case bodyTooLarge(source: String, url: String, limit: Int)
  /// No complete response within the configured total timeout.
  case timedOut(source: String, url: String, after: Duration)
  /// Could not connect, TLS failed, or the connection broke.
  case connectionFailed(source: String, url: String, reason: String)
  /// The server's TLS certificate failed verification (untrusted, expired, another name).
  case certificateRejected(source: String, url: String, reason: String)
  /// The fetch was abandoned because origin-guard is shutting down.
  case cancelled(source: String)
  /// Alibaba Cloud answered with an error `Code`.
  case alibabaAPI(source: String, origin: Origin, error: AlibabaAPIError)
  /// No usable Alibaba Cloud credentials.
  case credentials(source: String, error: CredentialError)
  /// A retryable error persisted through every attempt the retry policy allows.
  indirect case retriesExhausted(attempts: Int, last: SourceError)

  public var source: String {
    switch self {
    case .invalidConfiguration(let source, _), .unreadableFile(let source, _, _),
      .invalidEntry(let source, _, _, _, _), .prefixTooBroad(let source, _, _, _, _),
      .emptyResult(let source, _), .malformedDocument(let source, _, _, _),
      .insecureURL(let source, _),
      .httpStatus(let source, _, _, _), .bodyTooLarge(let source, _, _),
      .timedOut(let source, _, _),
      .connectionFailed(let source, _, _), .certificateRejected(let source, _, _),
      .cancelled(let source), .alibabaAPI(let source, _, _),
      .credentials(let source, _):
      source
    case .retriesExhausted(_, let last): last.source
    }
  }

  /// Whether trying again later may succeed without anyone changing anything.
  public var isRetryable: Bool {
    switch self {
    case .timedOut, .connectionFailed: true
    case .httpStatus(_, _, let status, _): status == 429 || status >= 500
    case .alibabaAPI(_, _, let error): error.isRetryable
    case .credentials(_, let error): error.isRetryable
    case .retriesExhausted: true
    default: false
    }
  }

  /// The Alibaba Cloud request id, when the failure came from an API response.
  public var requestID: String? {
    switch self {
    case .malformedDocument(_, _, _, let id), .httpStatus(_, _, _, let id): id
    case .alibabaAPI(_, _, let error): error.requestID
    case .retriesExhausted(_, let last): last.requestID
    default: nil
    }
  }

  public var description: String {
    "source \(source): " + detail
  }

  private var detail: String {
    switch self {
    case .invalidConfiguration(_, let problem):
      return "invalid configuration: \(problem)"
    case .unreadableFile(_, let path, let reason):
      return "cannot read \(path): \(reason)"
    case .invalidEntry(_, let origin, let entry, let column, let reason):
      let at = column.map { ", column \($0)" } ?? ""
      return "\(origin)\(at): \(MessageLimit.quote(entry)) is not an address or prefix: \(reason)"
        + " (fix the entry, or set on_invalid_entry: skip to drop such entries with a warning)"
    case .prefixTooBroad(_, let origin, let entry, let prefix, let minimum):
      let key = prefix.family == .ipv4 ? "min_prefix_length_v4" : "min_prefix_length_v6"
      return "\(origin): \(MessageLimit.quote(entry)) (\(prefix)) is broader than /\(minimum);"
        + " a list this broad is suspicious. If it is really intended, lower \(key)"
    case .emptyResult(_, let origin?):
      return "\(origin) returned no prefixes; refusing an empty list (it would lock the CDN out)"
    case .emptyResult(_, nil):
      return "the source returned no prefixes; refusing an empty list (it would lock the CDN out)"
    case .malformedDocument(_, let origin, let problem, let requestID):
      return "\(origin): unexpected content: \(MessageLimit.clip(problem))"
        + Self.request(requestID)
    case .insecureURL(_, let url):
      return
        "\(MessageLimit.clip(url)) is plain HTTP; only https:// is allowed (http:// only for 127.0.0.1, ::1 and localhost)"
    case .httpStatus(_, let url, let status, let requestID):
      return "\(MessageLimit.clip(url)) answered HTTP \(status)" + Self.request(requestID)
    case .bodyTooLarge(_, let url, let limit):
      return "\(MessageLimit.clip(url)): response larger than \(limit) bytes; download aborted"
        + " (raise max_body_bytes if the list really is that big)"
    case .timedOut(_, let url, let after):
      return
        "\(MessageLimit.clip(url)): no complete response within \(after) (check connectivity, or raise timeout)"
    case .connectionFailed(_, let url, let reason):
      return "\(MessageLimit.clip(url)): connection failed: \(MessageLimit.clip(reason))"
    case .certificateRejected(_, let url, let reason):
      return
        "\(MessageLimit.clip(url)): the server's TLS certificate is not trusted (\(MessageLimit.clip(reason)));"
        + " origin-guard always verifies certificates: serve a certificate for this host name from"
        + " a CA in the system trust store (or add your CA to it), or fix the URL's host name"
    case .cancelled:
      return "fetch abandoned: origin-guard is shutting down"
    case .alibabaAPI(_, let origin, let error):
      return "\(origin): \(error)"
    case .credentials(_, let error):
      return "Alibaba Cloud credentials: \(error)"
    case .retriesExhausted(let attempts, let last):
      return "gave up after \(attempts) attempts; last error: \(last.detail)"
    }
  }

  private static func request(_ id: String?) -> String {
    id.map { " (request id \($0))" } ?? ""
  }
}
