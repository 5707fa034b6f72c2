import AddressSet
import AddressSources
import Foundation
import Testing

@Suite(.timeLimit(.minutes(1))) struct AlibabaESASourceTests {
  func run(
    _ sites: [String], api: FakeAlibabaAPI, list: ESAWhitelist = .union,
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

  @Test func currentListWhenConfiguredWithBothFamilies() async throws {
    let api = FakeAlibabaAPI()
    api.script(
      "709662109812",
      FakeAlibabaAPI.originProtection(
        site: "709662109812", current: Self.current, latest: Self.latest, needUpdate: true))
    let (result, requests) = try await run(["709662109812"], api: api, list: .current)
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

  /// ESA sends from the current list until the update is confirmed and from the latest one
  /// right after, at a moment no sync can know: every step must allow every node ESA may send
  /// from at that step.
  @Test func pendingThenConfirmedUpdateNeverDropsANode() async throws {
    let a = (v4: ["203.0.113.0/24", "198.51.100.7"], v6: ["2001:db8:1::/48"])
    let b = (v4: ["203.0.113.0/24", "192.0.2.0/24"], v6: ["2001:db8:2::/48"])
    let api = FakeAlibabaAPI()
    api.script(
      "1",
      FakeAlibabaAPI.originProtection(site: "1", current: a, latest: a),
      FakeAlibabaAPI.originProtection(site: "1", current: a, latest: b, needUpdate: true),
      FakeAlibabaAPI.originProtection(site: "1", current: b, latest: b))
    let results = try await withTestServer(api.handle) { base, _ in
      let source = AlibabaESASource(
        config: AlibabaESASourceConfig(
          name: "esa", siteIDs: ["1"], endpoint: base, credentials: .testKey, retry: .fast),
        context: makeContext())
      var results: [SourceResult] = []
      for _ in 0..<3 { results.append(try await source.fetch()) }
      return results
    }
    let setA = DualStackSet(prefixes: (a.v4 + a.v6).map(prefix))
    let setB = DualStackSet(prefixes: (b.v4 + b.v6).map(prefix))
    #expect(results.map(\.set) == [setA, setA.union(setB), setB])
    // What ESA may send from at each step: A; A until the confirmation, B after it; B.
    for (result, sending) in zip(results, [[setA], [setA, setB], [setB]]) {
      for nodes in sending { #expect(result.set.union(nodes) == result.set) }
    }
    #expect(results[0].pendingUpdates.isEmpty)
    #expect(results[2].pendingUpdates.isEmpty)
    let pending = try #require(results[1].pendingUpdates.first)
    #expect(results[1].pendingUpdates.count == 1)
    #expect(pending.subject == "ESA site 1")
    // B adds 192.0.2.0/24 and 2001:db8:2::/48, drops 198.51.100.7 and 2001:db8:1::/48.
    #expect(pending.added == 2)
    #expect(pending.removed == 2)
    #expect(
      Set(results[1].entries.map(\.origin)) == [
        .esaSite(siteID: "1", list: "CurrentIPWhitelist"),
        .esaSite(siteID: "1", list: "LatestIPWhitelist"),
      ])
  }

  @Test func regionalListsAddTheirAddresses() async throws {
    let api = FakeAlibabaAPI()
    api.script(
      "1",
      FakeAlibabaAPI.originProtection(
        site: "1", current: Self.current, latest: Self.latest, needUpdate: true,
        regionalCurrent: (
          v4: [("198.18.0.0/24", "chinese_mainland")],
          v6: [("2001:db8:c::/48", "global_excluding_chinese_mainland")]
        ),
        regionalLatest: (v4: [("198.18.1.0/24", "global_excluding_chinese_mainland")], v6: [])))
    let (result, _) = try await run(["1"], api: api)
    let fetched = try result.get()
    for address in ["198.18.0.0/24", "2001:db8:c::/48", "198.18.1.0/24"] {
      let one = DualStackSet(prefixes: [prefix(address)])
      #expect(fetched.set.union(one) == fetched.set, "\(address)")
    }
    #expect(
      fetched.entries.contains {
        $0.prefix == prefix("198.18.0.0/24")
          && $0.origin == .esaSite(siteID: "1", list: "RegionalCurrentIPWhitelist")
      })
    // Confirmed: the latest lists alone, the regional one included.
    let confirmed = FakeAlibabaAPI()
    confirmed.script(
      "1",
      FakeAlibabaAPI.originProtection(
        site: "1", current: Self.latest, latest: Self.latest,
        regionalCurrent: (v4: [("198.18.1.0/24", "chinese_mainland")], v6: []),
        regionalLatest: (v4: [("198.18.1.0/24", "chinese_mainland")], v6: [])))
    let (after, _) = try await run(["1"], api: confirmed)
    #expect(
      try after.get().set
        == DualStackSet(
          prefixes: ["203.0.113.0/24", "192.0.2.0/24", "2001:db8:2::/48", "198.18.1.0/24"].map(
            prefix)))
  }

  @Test func regionalItemWithoutCidrIsMalformed() async throws {
    let api = FakeAlibabaAPI()
    api.script(
      "1",
      .json(
        #"{"RequestId":"R","NeedUpdate":false,"CurrentIPWhitelist":{"IPv4":["192.0.2.0/24"]},"LatestIPWhitelist":{"IPv4":["192.0.2.0/24"]},"RegionalLatestIPWhitelist":{"RegionalIPv4":[{"Region":"chinese_mainland"}]}}"#
      ))
    let (result, _) = try await run(["1"], api: api)
    guard
      case .failure(
        .malformedDocument("esa", .esaSite("1", "RegionalLatestIPWhitelist"), let problem, "R")) =
        result
    else {
      Issue.record("unexpected \(result)")
      return
    }
    #expect(problem.contains("Cidr"))
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
      "1", FakeAlibabaAPI.originProtection(site: "1", current: ([], []), latest: ([], [])))
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
