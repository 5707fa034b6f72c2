import AddressSet
import AddressSources
import Foundation
import Testing

/// `confirm_after`'s call: `UpdateOriginProtectionIpWhiteList` against a fake that checks the
/// V3 signature, the method, the version and that `SiteId` is the only parameter, and that
/// throttles like the gateway when told to.
@Suite(.timeLimit(.minutes(1))) struct AlibabaESAConfirmTests {
  static let a = (v4: ["203.0.113.0/24", "198.51.100.0/24"], v6: [String]())
  static let b = (v4: ["203.0.113.0/24", "192.0.2.0/24"], v6: [String]())

  func source(_ base: String, list: ESAWhitelist = .union) -> AlibabaESASource {
    var config = AlibabaESASourceConfig(
      name: "esa", siteIDs: ["709662109812"], endpoint: base, list: list, credentials: .testKey,
      retry: .fast)
    config.confirmAfter = .seconds(600)
    return AlibabaESASource(config: config, context: makeContext())
  }

  /// What a sync recorded: the pending update of the first fetch.
  func fetchedUpdate(_ source: AlibabaESASource) async throws -> PendingUpdate {
    try #require(try await source.fetch().pendingUpdates.first)
  }

  @Test func confirmsWithOneSignedCallNamingOnlyTheSite() async throws {
    let api = FakeAlibabaAPI()
    api.script(
      "709662109812",
      FakeAlibabaAPI.originProtection(
        site: "709662109812", current: Self.a, latest: Self.b, needUpdate: true))
    let (outcome, requests) = try await withTestServer(api.handle) { base, log in
      let source = source(base)
      let update = try await fetchedUpdate(source)
      return (try await source.confirm(update), log.requests)
    }
    // The fake answers with a fresh request id, as the gateway does.
    #expect(outcome.requestID?.count == 36)
    #expect(requests.map(\.method) == [.GET, .GET, .POST])
    #expect(requests.last?.header("x-acs-action") == "UpdateOriginProtectionIpWhiteList")
    #expect(requests.last?.query == ["SiteId": "709662109812"])
    #expect(api.signaturesVerified == 3)
    #expect(api.confirmationCount("709662109812") == 1)
  }

  @Test func aLatestListThatChangedSinceTheSyncIsNotConfirmed() async throws {
    let c = (v4: ["203.0.113.0/24", "100.64.0.0/24"], v6: [String]())
    let api = FakeAlibabaAPI()
    api.script(
      "709662109812",
      FakeAlibabaAPI.originProtection(
        site: "709662109812", current: Self.a, latest: Self.b, needUpdate: true),
      FakeAlibabaAPI.originProtection(
        site: "709662109812", current: Self.a, latest: c, needUpdate: true))
    let outcome = try await withTestServer(api.handle) { base, _ in
      let source = source(base)
      return try await source.confirm(try await fetchedUpdate(source))
    }
    guard case .notSent(let reason) = outcome else {
      Issue.record("sent: \(outcome)")
      return
    }
    #expect(reason.contains("another latest list"))
    #expect(api.confirmationCount("709662109812") == 0)
  }

  @Test func anUpdateConfirmedElsewhereIsNotConfirmedAgain() async throws {
    let api = FakeAlibabaAPI()
    api.script(
      "709662109812",
      FakeAlibabaAPI.originProtection(
        site: "709662109812", current: Self.a, latest: Self.b, needUpdate: true),
      FakeAlibabaAPI.originProtection(site: "709662109812", current: Self.b, latest: Self.b))
    let outcome = try await withTestServer(api.handle) { base, _ in
      let source = source(base)
      return try await source.confirm(try await fetchedUpdate(source))
    }
    #expect(
      outcome == .notSent(reason: "ESA reports no pending update any more (confirmed elsewhere?)"))
    #expect(api.confirmationCount("709662109812") == 0)
  }

  @Test func throttlingIsAnErrorWorthRetrying() async throws {
    let api = FakeAlibabaAPI()
    api.script(
      "709662109812",
      FakeAlibabaAPI.originProtection(
        site: "709662109812", current: Self.a, latest: Self.b, needUpdate: true))
    api.scriptConfirmation(
      "709662109812",
      FakeAlibabaAPI.error(
        .badRequest, "Throttling.User", "Request was denied due to user flow control."))
    let result = try await withTestServer(api.handle) { base, _ in
      let source = source(base)
      let update = try await fetchedUpdate(source)
      do throws(SourceError) {
        return Result<ConfirmationAnswer, SourceError>.success(try await source.confirm(update))
      } catch {
        return .failure(error)
      }
    }
    guard case .failure(let error) = result, case .alibabaAPI(_, _, let api) = error else {
      Issue.record("not a throttling error: \(result)")
      return
    }
    #expect(api.code == "Throttling.User" && error.isRetryable)
  }

  @Test func onlyTheUnionListConfirms() {
    #expect(source("http://127.0.0.1:1").confirmAfter == .seconds(600))
    #expect(source("http://127.0.0.1:1", list: .current).confirmAfter == nil)
    #expect(source("http://127.0.0.1:1", list: .latest).confirmAfter == nil)
  }
}

extension ConfirmationAnswer {
  var requestID: String? {
    if case .confirmed(let id) = self { id } else { nil }
  }
}
