import AddressSet
import AddressSources
import Foundation
import NIOHTTP1
import Testing

extension AlibabaCredentialsConfig {
  /// The fake API's AccessKey, inline, with every other step of the chain off.
  static let testKey = AlibabaCredentialsConfig(
    inline: AlibabaCredentials(accessKeyID: "LTAI5tTestKeyId", accessKeySecret: "test-secret"),
    useEnvironment: false, useCLIProfile: false, useCredentialsINI: false, useECSRAMRole: false)
}

extension RetryPolicy {
  static let fast = RetryPolicy(
    maxAttempts: 4, initialDelay: .milliseconds(1), maxDelay: .milliseconds(20),
    maxTotal: .seconds(5))
}

@Suite(.timeLimit(.minutes(1))) struct AlibabaCDNSourceTests {
  func source(
    _ base: String, _ domains: [String], credentials: AlibabaCredentialsConfig = .testKey,
    retry: RetryPolicy = .fast, http: HTTPOptions = HTTPOptions(), concurrency: Int = 4,
    callsPerSecond: Double = 1_000_000, policy: EntryPolicy = EntryPolicy(),
    clock: TestClock = TestClock()
  ) -> AlibabaCDNSource {
    // Pacing is tested on its own; elsewhere it would add sleeps to the ones tests look at.
    AlibabaCDNSource(
      config: AlibabaCDNSourceConfig(
        name: "cdn", domains: domains, endpoint: base, credentials: credentials, retry: retry,
        http: http, concurrency: concurrency, maxCallsPerSecond: callsPerSecond, policy: policy),
      context: makeContext(clock: clock))
  }

  /// Fetches with a fresh fake API scripted by `setUp`, returning the result or the error.
  func run(
    _ domains: [String], api: FakeAlibabaAPI = FakeAlibabaAPI(),
    credentials: AlibabaCredentialsConfig = .testKey,
    retry: RetryPolicy = .fast, http: HTTPOptions = HTTPOptions(), concurrency: Int = 4,
    callsPerSecond: Double = 1_000_000, policy: EntryPolicy = EntryPolicy(),
    clock: TestClock = TestClock()
  ) async throws -> (Result<SourceResult, SourceError>, [TestRequest]) {
    try await withTestServer(api.handle) { base, log in
      let source = source(
        base, domains, credentials: credentials, retry: retry, http: http, concurrency: concurrency,
        callsPerSecond: callsPerSecond, policy: policy, clock: clock)
      do throws(SourceError) {
        return (.success(try await source.fetch()), log.requests)
      } catch {
        return (.failure(error), log.requests)
      }
    }
  }

  func apiError(_ result: Result<SourceResult, SourceError>) -> AlibabaAPIError? {
    if case .failure(.alibabaAPI(_, _, let error)) = result { return error }
    if case .failure(.retriesExhausted(_, .alibabaAPI(_, _, let error))) = result { return error }
    Issue.record("expected an Alibaba API error, got \(result)")
    return nil
  }

  @Test func unionOfEveryDomainWithProvenance() async throws {
    let api = FakeAlibabaAPI()
    api.script(
      "www.example.com",
      FakeAlibabaAPI.vips("www.example.com", ["1.1.1.1/25", "2.2.2.2/25"], requestID: "REQ-WWW"))
    api.script(
      "img.example.com",
      FakeAlibabaAPI.vips(
        "img.example.com", ["2.2.2.0/25", "240e:f7:a000::1/64"], requestID: "REQ-IMG"))
    let (result, requests) = try await run(["www.example.com", "IMG.example.com "], api: api)
    let fetched = try result.get()
    #expect(fetched.kind == .alibabaCDN)
    #expect(
      fetched.set
        == DualStackSet(prefixes: ["1.1.1.0/25", "2.2.2.0/25", "240e:f7:a000::/64"].map(prefix)))
    #expect(fetched.entries.first?.notes == [.hostBitsMasked(original: "1.1.1.1/25")])
    #expect(fetched.version.upstream[.cdnDomain("www.example.com")]?.requestID == "REQ-WWW")
    #expect(fetched.version.upstream[.cdnDomain("img.example.com")]?.requestID == "REQ-IMG")
    let combined = CombinedSources([fetched])
    #expect(
      combined.provenance[prefix("2.2.2.0/25")]?.map(\.description) == [
        "source cdn, domain www.example.com", "source cdn, domain img.example.com",
      ])
    // One signed POST per domain, parameters in the query string, empty body.
    #expect(requests.count == 2)
    #expect(api.signaturesVerified == 2)
    for request in requests {
      #expect(request.method == .POST)
      #expect(request.path == "/")
      #expect(request.header("x-acs-security-token") == nil)
      #expect(request.header("host")?.hasPrefix("127.0.0.1:") == true)
    }
    #expect(
      Set(requests.compactMap { $0.query["DomainName"] }) == ["www.example.com", "img.example.com"])
  }

  @Test func concurrencyStaysWithinTheLimit() async throws {
    let api = FakeAlibabaAPI()
    let domains = (1...8).map { "d\($0).example.com" }
    for domain in domains { api.script(domain, FakeAlibabaAPI.vips(domain, ["192.0.2.0/24"])) }
    let (result, _) = try await run(domains, api: api, concurrency: 2)
    #expect(try result.get().entries.count == 8)
    #expect(api.maximumConcurrency <= 2)
  }

  @Test func callStartsArePaced() async throws {
    let api = FakeAlibabaAPI()
    let domains = ["a.example.com", "b.example.com", "c.example.com"]
    for domain in domains { api.script(domain, FakeAlibabaAPI.vips(domain, ["192.0.2.0/24"])) }
    let clock = TestClock()
    let (result, _) = try await run(
      domains, api: api, concurrency: 1, callsPerSecond: 10, clock: clock)
    #expect(try result.get().entries.count == 3)
    #expect(clock.sleeps.count == 2)
    #expect(clock.sleeps.allSatisfy { abs(($0 - .milliseconds(100)) / .microseconds(1)) < 1 })
  }

  @Test func stsCredentialsSendAndSignTheToken() async throws {
    let api = FakeAlibabaAPI(
      secrets: ["STS.NUgYrLnoC37mZZCNnAbez2": "sts-secret"],
      tokens: ["STS.NUgYrLnoC37mZZCNnAbez2": "CAIS-token"])
    api.script("www.example.com", FakeAlibabaAPI.vips("www.example.com", ["192.0.2.0/24"]))
    let credentials = AlibabaCredentialsConfig(
      inline: AlibabaCredentials(
        accessKeyID: "STS.NUgYrLnoC37mZZCNnAbez2", accessKeySecret: "sts-secret",
        securityToken: "CAIS-token"),
      useEnvironment: false, useCLIProfile: false, useCredentialsINI: false, useECSRAMRole: false)
    let (result, requests) = try await run(["www.example.com"], api: api, credentials: credentials)
    #expect(try result.get().entries.count == 1)
    #expect(requests.first?.header("x-acs-security-token") == "CAIS-token")
    #expect(requests.first?.header("x-acs-accesskey-id") == "STS.NUgYrLnoC37mZZCNnAbez2")
  }

  @Test func throttlingHonoursRetryAfterInMilliseconds() async throws {
    let api = FakeAlibabaAPI()
    api.script(
      "www.example.com",
      FakeAlibabaAPI.error(
        .badRequest, "Throttling.User", "Request was denied due to user flow control.",
        headers: [("x-acs-retry-after", "15")]),
      FakeAlibabaAPI.vips("www.example.com", ["192.0.2.0/24"]))
    let clock = TestClock()
    let (result, _) = try await run(["www.example.com"], api: api, clock: clock)
    #expect(try result.get().entries.count == 1)
    #expect(api.callCount("www.example.com") == 2)
    #expect(clock.sleeps == [.milliseconds(15)])
  }

  @Test(arguments: [
    ("SystemBusy", HTTPResponseStatus.forbidden), ("ServiceUnavailable", .serviceUnavailable),
    ("InternalError", .internalServerError), ("Throttling", .badRequest),
  ])
  func transientErrorsAreRetriedWithBackoff(code: String, status: HTTPResponseStatus) async throws {
    let api = FakeAlibabaAPI()
    api.script(
      "www.example.com", FakeAlibabaAPI.error(status, code, "try later"),
      FakeAlibabaAPI.error(status, code, "try later"),
      FakeAlibabaAPI.vips("www.example.com", ["192.0.2.0/24"]))
    let clock = TestClock()
    let (result, _) = try await run(["www.example.com"], api: api, clock: clock)
    #expect(try result.get().entries.count == 1)
    #expect(api.callCount("www.example.com") == 3)
    // Backoff grows (with jitter between half and all of 1 ms, then 2 ms).
    #expect(clock.sleeps.count == 2)
    #expect(clock.sleeps.allSatisfy { $0 > .zero && $0 <= .milliseconds(2) })
  }

  @Test func retriesAreBoundedInAttempts() async throws {
    let api = FakeAlibabaAPI()
    api.script(
      "www.example.com",
      FakeAlibabaAPI.error(.serviceUnavailable, "ServiceUnavailable", "down", "REQ-LAST"))
    let (result, _) = try await run(["www.example.com"], api: api)
    guard case .failure(let error) = result,
      case .retriesExhausted(4, .alibabaAPI(_, .cdnDomain("www.example.com"), _)) = error
    else {
      Issue.record("unexpected \(result)")
      return
    }
    #expect(api.callCount("www.example.com") == 4)
    #expect(error.isRetryable)
    #expect(error.requestID == "REQ-LAST")
    #expect(error.description.contains("gave up after 4 attempts"))
  }

  @Test func retriesAreBoundedInTotalTime() async throws {
    let api = FakeAlibabaAPI()
    api.script(
      "www.example.com",
      FakeAlibabaAPI.error(
        .badRequest, "Throttling.User", "slow down", headers: [("x-acs-retry-after", "3000")]))
    let retry = RetryPolicy(
      maxAttempts: 10, initialDelay: .milliseconds(1), maxDelay: .seconds(10), maxTotal: .seconds(5)
    )
    let clock = TestClock()
    let (result, _) = try await run(["www.example.com"], api: api, retry: retry, clock: clock)
    guard case .failure(.retriesExhausted(2, _)) = result else {
      Issue.record("unexpected \(result)")
      return
    }
    // 3 s waited once; another 3 s would pass the 5 s budget.
    #expect(clock.sleeps == [.seconds(3)])
  }

  @Test func wrongSecretIsSignatureDoesNotMatchAndNotRetried() async throws {
    let api = FakeAlibabaAPI()
    api.script("www.example.com", FakeAlibabaAPI.vips("www.example.com", ["192.0.2.0/24"]))
    let credentials = AlibabaCredentialsConfig(
      inline: AlibabaCredentials(accessKeyID: "LTAI5tTestKeyId", accessKeySecret: "wrong-secret"),
      useEnvironment: false, useCLIProfile: false, useCredentialsINI: false, useECSRAMRole: false)
    let (result, requests) = try await run(["www.example.com"], api: api, credentials: credentials)
    let error = apiError(result)
    #expect(error?.code == "SignatureDoesNotMatch")
    #expect(error?.isRetryable == false)
    #expect(error?.advice?.contains("secret") == true)
    #expect(requests.count == 1)
    // The wrong secret itself never appears in the message.
    if case .failure(let failure) = result {
      #expect(!failure.description.contains("wrong-secret"))
    }
  }

  @Test func unknownAccessKeyIsInvalidAccessKeyIdNotFound() async throws {
    let credentials = AlibabaCredentialsConfig(
      inline: AlibabaCredentials(accessKeyID: "LTAI5tUnknownKey", accessKeySecret: "x"),
      useEnvironment: false, useCLIProfile: false, useCredentialsINI: false, useECSRAMRole: false)
    let (result, requests) = try await run(["www.example.com"], credentials: credentials)
    let error = apiError(result)
    #expect(error?.code == "InvalidAccessKeyId.NotFound")
    #expect(error?.httpStatus == 404)
    #expect(error?.advice?.contains("AccessKey id") == true)
    #expect(requests.count == 1)
  }

  @Test(arguments: [
    ("Forbidden.RAM", "cdn:DescribeL2VipsByDomain"), ("IllegalOperation", "1 Gbps"),
    ("InvalidTimeStamp.Expired", "NTP"), ("InvalidAccessKeyId.Inactive", "active"),
  ])
  func permanentErrorsFailAtOnceWithAdvice(code: String, advice: String) async throws {
    let api = FakeAlibabaAPI()
    api.script("www.example.com", FakeAlibabaAPI.error(.forbidden, code, "denied", "REQ-PERM"))
    let (result, requests) = try await run(["www.example.com"], api: api)
    guard case .failure(let failure) = result else {
      Issue.record("expected a failure")
      return
    }
    #expect(apiError(result)?.code == code)
    #expect(!failure.isRetryable)
    #expect(failure.description.contains(advice))
    #expect(failure.description.contains("domain www.example.com"))
    #expect(failure.description.contains("REQ-PERM"))
    #expect(requests.count == 1)
  }

  @Test func malformedJSONNamesTheDomain() async throws {
    let api = FakeAlibabaAPI()
    api.script("www.example.com", .json(#"{"RequestId":"R1","Vips":{"Vip":["1.1.1.1/25""#))
    let (result, _) = try await run(["www.example.com"], api: api)
    guard case .failure(.malformedDocument("cdn", .cdnDomain("www.example.com"), _, _)) = result
    else {
      Issue.record("unexpected \(result)")
      return
    }
  }

  @Test func missingVipsIsMalformed() async throws {
    let api = FakeAlibabaAPI()
    api.script("www.example.com", .json(#"{"RequestId":"R2","DomainName":"www.example.com"}"#))
    let (result, _) = try await run(["www.example.com"], api: api)
    guard
      case .failure(.malformedDocument(_, .cdnDomain("www.example.com"), let problem, "R2")) =
        result
    else {
      Issue.record("unexpected \(result)")
      return
    }
    #expect(problem.contains("Vips"))
  }

  @Test func answerForAnotherDomainIsMalformed() async throws {
    let api = FakeAlibabaAPI()
    api.script("www.example.com", FakeAlibabaAPI.vips("other.example.com", ["192.0.2.0/24"]))
    let (result, _) = try await run(["www.example.com"], api: api)
    guard case .failure(.malformedDocument(_, .cdnDomain("www.example.com"), _, _)) = result else {
      Issue.record("unexpected \(result)")
      return
    }
  }

  @Test func oneEmptyDomainFailsTheSource() async throws {
    let api = FakeAlibabaAPI()
    api.script("www.example.com", FakeAlibabaAPI.vips("www.example.com", ["192.0.2.0/24"]))
    api.script("img.example.com", FakeAlibabaAPI.vips("img.example.com", []))
    let (result, _) = try await run(["www.example.com", "img.example.com"], api: api)
    guard case .failure(let error) = result,
      case .emptyResult("cdn", .cdnDomain("img.example.com")) = error
    else {
      Issue.record("unexpected \(result)")
      return
    }
    #expect(error.description.contains("domain img.example.com returned no prefixes"))
  }

  @Test func entryThatIsNotAnAddressNamesDomainAndEntry() async throws {
    let api = FakeAlibabaAPI()
    api.script(
      "www.example.com", FakeAlibabaAPI.vips("www.example.com", ["192.0.2.0/24", "xxx.111.111/25"]))
    let (result, _) = try await run(["www.example.com"], api: api)
    guard
      case .failure(.invalidEntry("cdn", .cdnDomain("www.example.com"), "xxx.111.111/25", _, _)) =
        result
    else {
      Issue.record("unexpected \(result)")
      return
    }
    // With skip, the bad entry is reported and the rest used.
    let (skipped, _) = try await run(
      ["www.example.com"], api: api, policy: EntryPolicy(onInvalidEntry: .skip))
    #expect(try skipped.get().skipped.map(\.entry) == ["xxx.111.111/25"])
  }

  @Test func tooBroadEntryNamesDomainAndEntry() async throws {
    let api = FakeAlibabaAPI()
    api.script(
      "www.example.com", FakeAlibabaAPI.vips("www.example.com", ["192.0.2.0/24", "0.0.0.0/0"]))
    let (result, _) = try await run(["www.example.com"], api: api)
    guard
      case .failure(.prefixTooBroad("cdn", .cdnDomain("www.example.com"), "0.0.0.0/0", _, 8)) =
        result
    else {
      Issue.record("unexpected \(result)")
      return
    }
  }

  @Test func hugeBodyHitsTheSizeLimit() async throws {
    let api = FakeAlibabaAPI()
    // 50 MB, streamed without Content-Length, so only the running count can stop it.
    api.script(
      "www.example.com",
      .stream(status: .ok, chunk: Array(repeating: UInt8(ascii: " "), count: 64 << 10), count: 800))
    let started = ContinuousClock.now
    let (result, _) = try await run(["www.example.com"], api: api)
    guard case .failure(.bodyTooLarge("cdn", _, 8 << 20)) = result else {
      Issue.record("unexpected \(result)")
      return
    }
    // Stopped at the limit, not after all 50 MB: 8 MB took 12.5 s and once 39 s on a loaded
    // CI machine, where streaming the whole body would take minutes.
    #expect(ContinuousClock.now - started < .seconds(60))
  }

  @Test func slowAnswerTimesOut() async throws {
    let api = FakeAlibabaAPI()
    api.script(
      "www.example.com",
      .delayed(.seconds(10), FakeAlibabaAPI.vips("www.example.com", ["192.0.2.0/24"])))
    let http = HTTPOptions(connectTimeout: .seconds(1), timeout: .milliseconds(300))
    let (result, _) = try await run(
      ["www.example.com"], api: api, retry: RetryPolicy(maxAttempts: 1), http: http)
    guard case .failure(let error) = result, case .timedOut("cdn", _, .milliseconds(300)) = error
    else {
      Issue.record("unexpected \(result)")
      return
    }
    #expect(error.isRetryable)
  }

  @Test func stalledBodyTimesOut() async throws {
    let api = FakeAlibabaAPI()
    api.script(
      "www.example.com",
      .stallBody(status: .ok, firstBytes: Array(#"{"Vips":"#.utf8), stall: .seconds(10)))
    let http = HTTPOptions(connectTimeout: .seconds(1), timeout: .milliseconds(300))
    let (result, _) = try await run(
      ["www.example.com"], api: api, retry: RetryPolicy(maxAttempts: 1), http: http)
    guard case .failure(.timedOut) = result else {
      Issue.record("unexpected \(result)")
      return
    }
  }

  @Test func errorWithoutACodeIsAnHTTPStatus() async throws {
    let api = FakeAlibabaAPI()
    api.script("www.example.com", .text("<html>bad gateway</html>", status: .badGateway))
    let (result, _) = try await run(
      ["www.example.com"], api: api, retry: RetryPolicy(maxAttempts: 1))
    guard case .failure(let error) = result, case .httpStatus("cdn", _, 502, _) = error else {
      Issue.record("unexpected \(result)")
      return
    }
    #expect(error.isRetryable)
  }

  @Test func connectionRefusedIsAConnectionFailure() async throws {
    // AsyncHTTPClient keeps retrying a refused connection until the connect timeout, so keep
    // that short.
    let error = try await withRefusingPort { refusing in
      let source = source(
        refusing, ["www.example.com"], retry: RetryPolicy(maxAttempts: 1),
        http: HTTPOptions(connectTimeout: .milliseconds(300)))
      return await expectSourceError { () async throws(SourceError) in try await source.fetch() }
    }
    guard case .connectionFailed = error else {
      Issue.record("unexpected \(String(describing: error))")
      return
    }
    #expect(error?.isRetryable == true)
  }

  @Test func plainHTTPEndpointIsRefusedUnlessLoopback() async {
    let source = source("http://cdn.aliyuncs.com", ["www.example.com"])
    let error = await expectSourceError { () async throws(SourceError) in try await source.fetch() }
    guard case .insecureURL("cdn", "http://cdn.aliyuncs.com") = error else {
      Issue.record("unexpected \(String(describing: error))")
      return
    }
  }

  @Test(arguments: [[], ["https://www.example.com"], ["www.example.com/path"]])
  func badDomainListsAreConfigurationErrors(domains: [String]) async {
    let source = source("https://cdn.aliyuncs.com", domains)
    let error = await expectSourceError { () async throws(SourceError) in try await source.fetch() }
    guard case .invalidConfiguration("cdn", _) = error else {
      Issue.record("unexpected \(String(describing: error))")
      return
    }
  }

  @Test func missingCredentialsFailBeforeAnyCall() async throws {
    let none = AlibabaCredentialsConfig(
      useEnvironment: true, useCLIProfile: true, useCredentialsINI: true, useECSRAMRole: false)
    let (result, requests) = try await run(["www.example.com"], credentials: none)
    guard case .failure(let error) = result, case .credentials("cdn", .notFound) = error else {
      Issue.record("unexpected \(result)")
      return
    }
    #expect(!error.isRetryable)
    #expect(requests.isEmpty)
  }
}
