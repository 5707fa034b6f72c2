import AddressSet
import AddressSources
import Foundation
import NIOHTTP1
import Testing

/// Sample documents in each provider's published format (abridged).
enum PublishedLists {
  static let cloudflareV4 = "173.245.48.0/20\n103.21.244.0/22\n103.22.200.0/22\n104.16.0.0/13"
  static let cloudflareV6 = "2400:cb00::/32\n2606:4700::/32\n2803:f800::/32\n"
  static let awsIPRanges = """
    {
      "syncToken": "1732090000",
      "createDate": "2024-11-20-08-13-05",
      "prefixes": [
        {"ip_prefix": "3.2.34.0/26", "region": "af-south-1", "service": "AMAZON", "network_border_group": "af-south-1"},
        {"ip_prefix": "120.52.22.96/27", "region": "GLOBAL", "service": "CLOUDFRONT", "network_border_group": "GLOBAL"},
        {"ip_prefix": "13.113.196.64/26", "region": "ap-northeast-1", "service": "CLOUDFRONT_ORIGIN_FACING",
         "network_border_group": "ap-northeast-1"},
        {"ip_prefix": "15.158.0.0/16", "region": "GLOBAL", "service": "CLOUDFRONT_ORIGIN_FACING",
         "network_border_group": "GLOBAL"}
      ],
      "ipv6_prefixes": [
        {"ipv6_prefix": "2600:9000:2000::/36", "region": "GLOBAL", "service": "CLOUDFRONT", "network_border_group": "GLOBAL"},
        {"ipv6_prefix": "2600:9000:5300::/40", "region": "GLOBAL", "service": "CLOUDFRONT_ORIGIN_FACING",
         "network_border_group": "GLOBAL"}
      ]
    }
    """
  static let fastly =
    #"{"addresses":["23.235.32.0/20","43.249.72.0/22"],"ipv6_addresses":["2a04:4e40::/32","2a04:4e42::/32"]}"#
}

@Suite(.timeLimit(.minutes(1))) struct URLSourceTests {
  /// The preset's documents, served by the test server instead of the provider.
  func local(_ documents: [URLDocument], _ base: String) -> [URLDocument] {
    documents.map { document in
      var copy = document
      copy.url = base + URL(string: document.url)!.path
      return copy
    }
  }

  func fetch(
    _ documents: [URLDocument], http: HTTPOptions = HTTPOptions(), retry: RetryPolicy = .fast,
    policy: EntryPolicy = EntryPolicy(), store: (any ConditionalFetchStore)? = nil
  ) async -> Result<SourceResult, SourceError> {
    let source = URLSource(
      config: URLSourceConfig(
        name: "web", documents: documents, http: http, retry: retry, policy: policy),
      context: makeContext(fetchStore: store))
    do throws(SourceError) {
      return .success(try await source.fetch())
    } catch {
      return .failure(error)
    }
  }

  @Test func cloudflarePreset() async throws {
    let result = try await withTestServer({ request in
      switch request.path {
      case "/ips-v4": .text(PublishedLists.cloudflareV4)
      case "/ips-v6": .text(PublishedLists.cloudflareV6)
      default: .text("not found", status: .notFound)
      }
    }) { base, _ in await fetch(local(URLPreset.cloudflare.documents, base)) }
    let fetched = try result.get()
    #expect(fetched.set.v4.prefixes.count == 4)
    #expect(fetched.set.v6.prefixes.count == 3)
    #expect(fetched.entries.first?.origin.description.hasSuffix("/ips-v4 line 1") == true)
    #expect(
      URLPreset.cloudflare.documents.map(\.url) == [
        "https://www.cloudflare.com/ips-v4", "https://www.cloudflare.com/ips-v6",
      ])
  }

  @Test func cloudfrontPresetKeepsOnlyOriginFacingRanges() async throws {
    let result = try await withTestServer({ _ in .json(PublishedLists.awsIPRanges) }) { base, _ in
      await fetch(local(URLPreset.cloudfront.documents, base))
    }
    #expect(
      try result.get().set
        == DualStackSet(
          prefixes: ["13.113.196.64/26", "15.158.0.0/16", "2600:9000:5300::/40"].map(prefix)))
    #expect(
      URLPreset.cloudfront.documents.map(\.url) == [
        "https://ip-ranges.amazonaws.com/ip-ranges.json"
      ])
  }

  @Test func fastlyPreset() async throws {
    let result = try await withTestServer({ _ in .json(PublishedLists.fastly) }) { base, _ in
      await fetch(local(URLPreset.fastly.documents, base))
    }
    #expect(
      try result.get().set
        == DualStackSet(
          prefixes: ["23.235.32.0/20", "43.249.72.0/22", "2a04:4e40::/32", "2a04:4e42::/32"].map(
            prefix)))
    #expect(URLPreset.fastly.documents.map(\.url) == ["https://api.fastly.com/public-ip-list"])
  }

  @Test func etagIsRememberedAndA304ReusesTheList() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    let store = FileConditionalFetchStore(directory: directory.path + "/state")
    let (first, second, requests) = try await withTestServer({ request in
      request.header("if-none-match") == #""v1""#
        ? .reply(status: .notModified, headers: [("etag", #""v1""#)], body: [])
        : .text(PublishedLists.cloudflareV4, headers: [("etag", #""v1""#)])
    }) { base, log in
      let documents = [URLDocument(url: base + "/ips-v4")]
      return (
        await fetch(documents, store: store), await fetch(documents, store: store), log.requests
      )
    }
    let (a, b) = (try first.get(), try second.get())
    #expect(!a.unchanged)
    #expect(b.unchanged)
    #expect(a.entries == b.entries)
    #expect(a.version.checksum == b.version.checksum)
    #expect(b.version.upstream.values.first?.etag == #""v1""#)
    #expect(requests.map { $0.header("if-none-match") } == [nil, #""v1""#])
    // Remembered state is private to the owner.
    let files = try FileManager.default.contentsOfDirectory(atPath: directory.path + "/state")
    #expect(files.count == 1)
    let attributes = try FileManager.default.attributesOfItem(
      atPath: directory.path + "/state/" + files[0])
    #expect((attributes[.posixPermissions] as? Int) == 0o600)
  }

  @Test func lastModifiedIsSentBackAsIfModifiedSince() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    let store = FileConditionalFetchStore(directory: directory.path)
    let stamp = "Wed, 20 Nov 2024 08:13:05 GMT"
    let (second, requests) = try await withTestServer({ request in
      request.header("if-modified-since") == stamp
        ? .reply(status: .notModified, headers: [], body: [])
        : .json(PublishedLists.fastly, headers: [("last-modified", stamp)])
    }) { base, log in
      let documents = local(URLPreset.fastly.documents, base)
      _ = await fetch(documents, store: store)
      return (await fetch(documents, store: store), log.requests)
    }
    #expect(try second.get().unchanged)
    #expect(try second.get().entries.count == 4)
    #expect(requests.last?.header("if-modified-since") == stamp)
  }

  @Test func rememberedListIsCheckedAgainstTheCurrentPolicy() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    let store = FileConditionalFetchStore(directory: directory.path)
    let second = try await withTestServer({ request in
      request.header("if-none-match") != nil
        ? .reply(status: .notModified, headers: [], body: [])
        : .text("104.16.0.0/13\n", headers: [("etag", "W/\"x\"")])
    }) { base, _ in
      let documents = [URLDocument(url: base + "/list")]
      _ = try await fetch(documents, store: store).get()
      return await fetch(documents, policy: EntryPolicy(minimumIPv4PrefixLength: 16), store: store)
    }
    guard case .failure(.prefixTooBroad("web", .url(_, 1), "104.16.0.0/13", _, 16)) = second else {
      Issue.record("unexpected \(second)")
      return
    }
  }

  @Test func aRejectedListIsNotRemembered() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    let store = FileConditionalFetchStore(directory: directory.path)
    let requests = try await withTestServer({ _ in
      .text("not an address\n", headers: [("etag", #""bad""#)])
    }) {
      base, log in
      let documents = [URLDocument(url: base + "/list")]
      _ = await fetch(documents, store: store)
      _ = await fetch(documents, store: store)
      return log.requests
    }
    #expect(requests.map { $0.header("if-none-match") } == [nil, nil])
  }

  @Test func errorsNameTheURLLineAndColumn() async throws {
    let result = try await withTestServer({ _ in .text("192.0.2.0/24\n<!DOCTYPE html>\n") }) {
      base, _ in
      await fetch([URLDocument(url: base + "/list")])
    }
    guard case .failure(.invalidEntry("web", .url(let url, 2), "<!DOCTYPE html>", 1?, _)) = result
    else {
      Issue.record("unexpected \(result)")
      return
    }
    #expect(url.hasSuffix("/list"))
  }

  @Test func emptyDocumentFailsNamingTheURL() async throws {
    let result = try await withTestServer({ request in
      request.path == "/ips-v6" ? .text("\n") : .text(PublishedLists.cloudflareV4)
    }) { base, _ in
      await fetch(local(URLPreset.cloudflare.documents, base))
    }
    guard case .failure(.emptyResult("web", .url(let url, nil))) = result else {
      Issue.record("unexpected \(result)")
      return
    }
    #expect(url.hasSuffix("/ips-v6"))
  }

  @Test func renamedFieldIsMalformedNotEmpty() async throws {
    let result = try await withTestServer({ _ in .json(#"{"ipv4":["23.235.32.0/20"]}"#) }) {
      base, _ in
      await fetch(local(URLPreset.fastly.documents, base))
    }
    guard case .failure(.malformedDocument("web", _, let problem, nil)) = result else {
      Issue.record("unexpected \(result)")
      return
    }
    #expect(problem.contains("addresses is missing"))
  }

  @Test func jsonArrayDocumentNeedsNoSelector() async throws {
    let result = try await withTestServer({ _ in .json(#"["192.0.2.0/24", "2001:db8::/32"]"#) }) {
      base, _ in
      await fetch([URLDocument(url: base + "/list.json")])
    }
    #expect(try result.get().entries.count == 2)
  }

  @Test func bodyOverTheLimitIsAborted() async throws {
    let streamed = try await withTestServer({ _ in
      .stream(
        status: .ok,
        chunk: Array("192.0.2.0/24\n".utf8) + Array(repeating: UInt8(ascii: "\n"), count: 64 << 10),
        count: 800)
    }) { base, _ in await fetch([URLDocument(url: base + "/huge")]) }
    guard case .failure(.bodyTooLarge("web", _, 8 << 20)) = streamed else {
      Issue.record("unexpected \(streamed)")
      return
    }
    let declared = try await withTestServer({ _ in .text(String(repeating: "#\n", count: 600)) }) {
      base, _ in
      await fetch([URLDocument(url: base + "/list")], http: HTTPOptions(maxBodyBytes: 1000))
    }
    guard case .failure(.bodyTooLarge(_, _, 1000)) = declared else {
      Issue.record("unexpected \(declared)")
      return
    }
  }

  @Test func slowServerTimesOut() async throws {
    let result = try await withTestServer({ _ in .delayed(.seconds(10), .text("192.0.2.0/24")) }) {
      base, _ in
      await fetch(
        [URLDocument(url: base + "/list")], http: HTTPOptions(timeout: .milliseconds(200)),
        retry: RetryPolicy(maxAttempts: 1))
    }
    guard case .failure(.timedOut("web", _, .milliseconds(200))) = result else {
      Issue.record("unexpected \(result)")
      return
    }
  }

  @Test func serverErrorsAreRetriedClientErrorsAreNot() async throws {
    let log = RequestLog()
    let retried = try await withTestServer({ request in
      log.append(request)
      return log.requests.count < 3
        ? .text("busy", status: .serviceUnavailable) : .text("192.0.2.0/24")
    }) { base, _ in await fetch([URLDocument(url: base + "/list")]) }
    #expect(try retried.get().entries.count == 1)
    let (missing, requests) = try await withTestServer({ _ in .text("gone", status: .notFound) }) {
      base, log in
      (await fetch([URLDocument(url: base + "/list")]), log.requests)
    }
    guard case .failure(.httpStatus("web", _, 404, nil)) = missing else {
      Issue.record("unexpected \(missing)")
      return
    }
    #expect(requests.count == 1)
  }

  @Test func redirectsAreFollowedButNeverToPlainHTTPElsewhere() async throws {
    let followed = try await withTestServer({ request in
      request.path == "/old"
        ? .reply(status: .movedPermanently, headers: [("location", "/new")], body: [])
        : .text("192.0.2.0/24")
    }) { base, _ in await fetch([URLDocument(url: base + "/old")]) }
    #expect(try followed.get().entries.first?.origin.description.hasSuffix("/old line 1") == true)
    let downgraded = try await withTestServer({ _ in
      .reply(status: .found, headers: [("location", "http://lists.example.com/ips")], body: [])
    }) { base, _ in await fetch([URLDocument(url: base + "/old")]) }
    guard case .failure(.insecureURL("web", "http://lists.example.com/ips")) = downgraded else {
      Issue.record("unexpected \(downgraded)")
      return
    }
  }

  @Test(arguments: [
    "http://www.cloudflare.com/ips-v4", "http://10.0.0.1/list", "http://[::ffff:127.0.0.1]/x",
  ])
  func plainHTTPIsRefusedExceptLoopback(url: String) async {
    guard case .failure(.insecureURL("web", url)) = await fetch([URLDocument(url: url)]) else {
      Issue.record("expected insecureURL for \(url)")
      return
    }
  }

  @Test(arguments: ["ftp://example.com/list", "not a url", ""])
  func unusableURLsAreConfigurationErrors(url: String) async {
    guard case .failure(.invalidConfiguration("web", _)) = await fetch([URLDocument(url: url)])
    else {
      Issue.record("expected invalidConfiguration for \(url)")
      return
    }
  }

  @Test func badSelectorIsAConfigurationError() async {
    let result = await fetch([
      URLDocument(url: "https://example.com/x.json", selectors: ["prefixes[service=].ip_prefix"])
    ])
    guard case .failure(.invalidConfiguration("web", let problem)) = result else {
      Issue.record("unexpected \(result)")
      return
    }
    #expect(problem.contains("[field=value]"))
  }
}
