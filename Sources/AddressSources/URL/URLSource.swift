import AsyncHTTPClient
import Foundation
import NIOHTTP1

/// Downloads one or more documents over HTTPS and reads the addresses in them. Every document
/// must succeed and hold at least one prefix; then the source's result is their union.
///
/// With a `ConditionalFetchStore` in the context, each document's ETag / Last-Modified and the
/// strings it held are remembered; the next run asks with If-None-Match / If-Modified-Since
/// and a 304 reuses the remembered strings (re-checked against the current policy).
public struct URLSource: AddressSource {
  public let config: URLSourceConfig
  private let context: SourceContext
  private static let maxRedirects = 5

  public init(config: URLSourceConfig, context: SourceContext) {
    self.config = config
    self.context = context
  }

  public var name: String { config.name }

  /// A configured document, checked.
  private struct Plan: Sendable {
    let document: URLDocument
    let selectors: [JSONSelector]
    var storeKey: String {
      // The Accept header joins the identity only when set, so that keys remembered before
      // it existed stay valid.
      let identity =
        [document.url, document.format?.rawValue ?? "auto"] + document.selectors
        + (document.accept.map { ["accept: " + $0] } ?? [])
      return "url-"
        + String(SHA256Hex.digest(Data(identity.joined(separator: "\n").utf8)).prefix(32))
    }
  }

  private struct Downloaded: Sendable {
    let plan: Plan
    let document: RememberedDocument
    let notModified: Bool
  }

  public func fetch() async throws(SourceError) -> SourceResult {
    let plans = try checkedPlans()
    let retrying = Retrying(policy: config.retry, clock: context.clock, logger: context.logger)
    let downloads = try await HTTPTransport.with(config.http) {
      transport async throws(SourceError) in
      var downloads: [Downloaded] = []
      for plan in plans {
        let remembered = await remembered(plan)
        downloads.append(
          try await retrying.run("source \(name): \(plan.document.url)") {
            () async throws(SourceError) in
            try await download(plan, remembered: remembered, transport: transport)
          })
      }
      return downloads
    }

    var collector = EntryCollector(source: name, policy: config.policy)
    var upstream: [Origin: UpstreamVersion] = [:]
    for download in downloads {
      let url = download.plan.document.url
      let start = collector.entries.count
      for entry in download.document.entries {
        let origin = Origin.url(url, line: entry.line)
        if entry.notAString {
          try collector.reject(entry.text, origin: origin, column: nil, reason: "not a string")
        } else {
          try collector.add(entry.text, origin: origin)
        }
      }
      try collector.requireEntries(since: start, origin: .url(url, line: nil))
      upstream[.url(url, line: nil)] = UpstreamVersion(
        etag: download.document.etag, lastModified: download.document.lastModified)
    }
    collector.log(to: context.logger)
    // Remember only lists that passed every check: a rejected list must be downloaded and
    // checked again next time, not answered from memory.
    for download in downloads where !download.notModified { await remember(download) }
    return SourceResult(
      source: name, kind: .url, entries: collector.entries, skipped: collector.skipped,
      fetchedAt: context.clock.now(),
      version: SourceVersion(
        checksum: SourceVersion.checksum(of: collector.entries), upstream: upstream),
      unchanged: downloads.allSatisfy(\.notModified))
  }

  private func checkedPlans() throws(SourceError) -> [Plan] {
    try config.policy.validate(source: name)
    try config.http.validate(source: name)
    try config.retry.validate(source: name)
    guard !config.documents.isEmpty else {
      throw .invalidConfiguration(source: name, problem: "no URL configured (set url or preset)")
    }
    var plans: [Plan] = []
    for document in config.documents {
      _ = try EndpointPolicy.validate(document.url, source: name)
      if document.format == .text && !document.selectors.isEmpty {
        throw .invalidConfiguration(
          source: name, problem: "\(document.url): select applies to JSON, not format: text")
      }
      var selectors: [JSONSelector] = []
      for text in document.selectors {
        do {
          selectors.append(try JSONSelector(text))
        } catch {
          throw .invalidConfiguration(source: name, problem: "\(document.url): \(error)")
        }
      }
      plans.append(Plan(document: document, selectors: selectors))
    }
    return plans
  }

  // MARK: - Downloading

  private func download(_ plan: Plan, remembered: RememberedDocument?, transport: HTTPTransport)
    async throws(SourceError) -> Downloaded
  {
    let origin = Origin.url(plan.document.url, line: nil)
    var headers = [
      ("accept", plan.document.accept ?? "application/json, text/plain;q=0.9, */*;q=0.1"),
      ("user-agent", "origin-guard"),
    ]
    if let remembered {
      if let etag = remembered.etag { headers.append(("if-none-match", etag)) }
      if let lastModified = remembered.lastModified {
        headers.append(("if-modified-since", lastModified))
      }
    }
    var url = plan.document.url
    for _ in 0...Self.maxRedirects {
      let response: HTTPResponseData
      do {
        response = try await transport.send(.GET, url, headers: headers)
      } catch {
        throw transport.sourceError(error, source: name, url: url)
      }
      switch response.status {
      case 200:
        let entries = try extractEntries(response.body, plan: plan, origin: origin)
        let document = RememberedDocument(
          url: plan.document.url, etag: response.headers.first(name: "etag"),
          lastModified: response.headers.first(name: "last-modified"), entries: entries,
          fetchedAt: context.clock.now())
        return Downloaded(plan: plan, document: document, notModified: false)
      case 304:
        guard let remembered else {
          throw .malformedDocument(
            source: name, origin: origin, problem: "HTTP 304 to a request that was not conditional",
            requestID: nil)
        }
        context.logger.debug("source \(name): \(plan.document.url) not modified")
        return Downloaded(plan: plan, document: remembered, notModified: true)
      case 301, 302, 303, 307, 308:
        guard let location = response.headers.first(name: "location"),
          let target = URL(string: location, relativeTo: URL(string: url))?.absoluteURL
            .absoluteString
        else {
          throw .malformedDocument(
            source: name, origin: origin,
            problem: "HTTP \(response.status) without a usable Location", requestID: nil)
        }
        // The redirect target must pass the same HTTPS rule as the configured URL.
        _ = try EndpointPolicy.validate(target, source: name)
        url = target
      default:
        throw .httpStatus(source: name, url: url, status: response.status, requestID: nil)
      }
    }
    throw .malformedDocument(
      source: name, origin: origin, problem: "more than \(Self.maxRedirects) redirects",
      requestID: nil)
  }

  private func extractEntries(_ body: Data, plan: Plan, origin: Origin) throws(SourceError)
    -> [RememberedDocument.Entry]
  {
    guard let text = String(data: body, encoding: .utf8) else {
      throw .malformedDocument(
        source: name, origin: origin, problem: "body is not UTF-8 text", requestID: nil)
    }
    let format = plan.document.format ?? (TextList.looksLikeJSON(text) ? .json : .text)
    if format == .text {
      return TextList.lines(of: text).map {
        RememberedDocument.Entry(text: $0.content, line: $0.number)
      }
    }
    let document: Any
    do {
      document = try JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed])
    } catch {
      throw .malformedDocument(
        source: name, origin: origin, problem: "not valid JSON", requestID: nil)
    }
    if plan.selectors.isEmpty && !(document is [Any]) {
      throw .malformedDocument(
        source: name, origin: origin,
        problem:
          "the JSON document is not an array of strings; configure select to say where the addresses are",
        requestID: nil)
    }
    var entries: [RememberedDocument.Entry] = []
    for selector in plan.selectors.isEmpty ? [try! JSONSelector("")] : plan.selectors {
      let values: [Any]
      do {
        values = try selector.select(in: document)
      } catch {
        throw .malformedDocument(
          source: name, origin: origin,
          problem: "selector \(selector): \(error.path) is \(error.problem)",
          requestID: nil)
      }
      for value in values {
        if let string = value as? String {
          entries.append(RememberedDocument.Entry(text: string, line: nil))
        } else {
          entries.append(
            RememberedDocument.Entry(text: Self.describe(value), line: nil, notAString: true))
        }
      }
    }
    return entries
  }

  private static func describe(_ value: Any) -> String {
    if value is NSNull { return "null" }
    if let data = try? JSONSerialization.data(
      withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys])
    {
      return String(decoding: data, as: UTF8.self)
    }
    return "\(value)"
  }

  // MARK: - Remembering

  /// A store that cannot be read costs a full download, not the fetch.
  private func remembered(_ plan: Plan) async -> RememberedDocument? {
    guard let store = context.fetchStore else { return nil }
    do {
      guard let document = try await store.load(key: plan.storeKey),
        document.url == plan.document.url
      else {
        return nil
      }
      return document
    } catch {
      context.logger.warning(
        "source \(name): ignoring unreadable remembered state for \(plan.document.url): \(error)")
      return nil
    }
  }

  private func remember(_ download: Downloaded) async {
    guard let store = context.fetchStore,
      download.document.etag != nil || download.document.lastModified != nil
    else { return }
    do {
      try await store.save(download.document, key: download.plan.storeKey)
    } catch {
      context.logger.warning(
        "source \(name): cannot remember \(download.plan.document.url) for next time: \(error)")
    }
  }
}
