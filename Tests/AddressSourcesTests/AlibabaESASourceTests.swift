import AddressSet
import AddressSources
import Foundation
import Testing

@Suite(.timeLimit(.minutes(1))) struct AlibabaESASourceTests {
  func run(
    _ sites: [String], api: FakeAlibabaAPI, list: ESAWhitelist = .current,
    policy: EntryPolicy = EntryPolicy()
  ) async throws -> (Result<SourceResult, SourceError>, [TestRequest]) {
    try await withTestServer(api.handle) { base, log in
      let source = AlibabaESASource(
        config: AlibabaESASourceConfig(
          name: "esa", siteIDs: sites, endpoint: base, list: list, credentials: .testKey,
          retry: .fast, policy: policy),
        context: makeContext())
      do throws(SourceError) {
        return (.success(try await source.fetch()), log.requests)
      } catch {
        return (.failure(error), log.requests)
      }
    }
  }

  static let current = (v4: ["203.0.113.0/24", "198.51.100.7"], v6: ["2001:db8:1::/48"])
  static let latest = (v4: ["203.0.113.0/24", "192.0.2.0/24"], v6: ["2001:db8:2::/48"])

  @Test func currentListByDefaultWithBothFamilies() async throws {
    let api = FakeAlibabaAPI()
    api.script(
      "709662109812",
      FakeAlibabaAPI.originProtection(
        site: "709662109812", current: Self.current, latest: Self.latest))
    let (result, requests) = try await run(["709662109812"], api: api)
    let fetched = try result.get()
    #expect(fetched.kind == .alibabaESA)
    #expect(
      fetched.set
        == DualStackSet(
          prefixes: ["203.0.113.0/24", "198.51.100.7/32", "2001:db8:1::/48"].map(prefix)))
    #expect(
      fetched.entries.allSatisfy {
        $0.origin == .esaSite(siteID: "709662109812", list: "CurrentIPWhitelist")
      })
    #expect(
      fetched.version.upstream.values.first?.requestID == "CB1A380B-09F0-41BB-A198-72F8FD6DA2FE")
    #expect(requests.map(\.method) == [.GET])
    #expect(requests.first?.query == ["SiteId": "709662109812"])
    #expect(api.signaturesVerified == 1)
  }

  @Test func latestListWhenConfigured() async throws {
    let api = FakeAlibabaAPI()
    api.script(
      "1",
      FakeAlibabaAPI.originProtection(
        site: "1", current: Self.current, latest: Self.latest, needUpdate: true))
    let (result, _) = try await run(["1"], api: api, list: .latest)
    #expect(
      try result.get().set
        == DualStackSet(
          prefixes: ["203.0.113.0/24", "192.0.2.0/24", "2001:db8:2::/48"].map(prefix)))
  }

  @Test func missingListIsMalformed() async throws {
    let api = FakeAlibabaAPI()
    api.script("1", .json(#"{"RequestId":"R","SiteId":1,"OriginProtection":"off"}"#))
    let (result, _) = try await run(["1"], api: api)
    guard
      case .failure(
        .malformedDocument("esa", .esaSite("1", "CurrentIPWhitelist"), let problem, "R")) = result
    else {
      Issue.record("unexpected \(result)")
      return
    }
    #expect(problem.contains("CurrentIPWhitelist"))
  }

  @Test func emptyListsAreAFailureNamingTheSite() async throws {
    let api = FakeAlibabaAPI()
    api.script(
      "1", FakeAlibabaAPI.originProtection(site: "1", current: ([], []), latest: Self.latest))
    let (result, _) = try await run(["1"], api: api)
    guard case .failure(.emptyResult("esa", .esaSite("1", _))) = result else {
      Issue.record("unexpected \(result)")
      return
    }
  }

  @Test func siteNotFoundHasAdvice() async throws {
    let api = FakeAlibabaAPI()
    api.script("1", FakeAlibabaAPI.error(.notFound, "SiteNotFound", "The site does not exist."))
    let (result, _) = try await run(["1"], api: api)
    guard case .failure(let error) = result,
      case .alibabaAPI(_, .esaSite("1", _), let apiError) = error
    else {
      Issue.record("unexpected \(result)")
      return
    }
    #expect(apiError.code == "SiteNotFound")
    #expect(!error.isRetryable)
    #expect(error.description.contains("ListSites"))
  }

  @Test func siteIDsMustBeNumbers() async {
    let source = AlibabaESASource(
      config: AlibabaESASourceConfig(
        name: "esa", siteIDs: ["12&Action=Other"], credentials: .testKey),
      context: makeContext())
    let error = await expectSourceError { () async throws(SourceError) in try await source.fetch() }
    guard case .invalidConfiguration("esa", _) = error else {
      Issue.record("unexpected \(String(describing: error))")
      return
    }
  }

  @Test func defaultEndpointFollowsTheRegion() {
    #expect(
      AlibabaESASourceConfig(name: "esa", siteIDs: ["1"]).effectiveEndpoint
        == "https://esa.cn-hangzhou.aliyuncs.com")
    #expect(
      AlibabaESASourceConfig(name: "esa", siteIDs: ["1"], region: "ap-southeast-1")
        .effectiveEndpoint
        == "https://esa.ap-southeast-1.aliyuncs.com")
  }
}
