import Foundation
import TestSupport
import Testing

/// One ESA site's origin protection, played on loopback as strictly as the gateway: the
/// action, version and method must match, `SiteId` must be the only parameter, the request
/// must be V3-signed over the headers the gateway requires with a fresh date and an unused
/// nonce, and the first `throttle` confirmations are refused with `Throttling.User`.
/// (AddressSourcesTests checks the signature itself with an independent verifier.)
final class FakeESASite: @unchecked Sendable {
  private let lock = NSLock()
  private var current: [String]
  private var latest: [String]
  private var throttle: Int
  private var nonces: Set<String> = []
  private(set) var confirmations = 0
  private(set) var refusals: [String] = []

  init(current: [String], throttle: Int = 0) {
    self.current = current
    self.latest = current
    self.throttle = throttle
  }

  /// ESA publishes a newer list: an update awaiting confirmation.
  func publish(_ latest: [String]) { lock.withLock { self.latest = latest } }

  var needUpdate: Bool { lock.withLock { current != latest } }

  var handler: NamespaceHTTPServer.Handler { { [self] request in answer(request) } }

  private func refuse(_ status: Int, _ code: String, _ message: String)
    -> NamespaceHTTPServer.Response
  {
    refusals.append(code)
    return AlibabaFake.error(status, code, message)
  }

  private func answer(_ request: NamespaceHTTPServer.Request) -> NamespaceHTTPServer.Response {
    lock.withLock {
      guard let authorization = request.header("authorization"),
        authorization.hasPrefix("ACS3-HMAC-SHA256 Credential=\(AlibabaFake.accessKeyID),"),
        let signed = authorization.components(separatedBy: "SignedHeaders=").last?
          .components(separatedBy: ",").first?.components(separatedBy: ";"),
        Set([
          "host", "x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce",
          "x-acs-version",
        ]).isSubset(of: signed)
      else { return refuse(400, "IncompleteSignature", "the request is not signed as V3 requires") }
      guard let date = request.header("x-acs-date").flatMap({ try? Date($0, strategy: .iso8601) }),
        abs(date.timeIntervalSinceNow) < 900
      else { return refuse(400, "InvalidTimeStamp.Expired", "x-acs-date is missing or stale") }
      guard let nonce = request.header("x-acs-signature-nonce"), nonce.count == 32,
        nonces.insert(nonce).inserted
      else { return refuse(400, "SignatureNonceUsed", "the nonce was used already") }
      guard request.header("x-acs-version") == "2024-09-10", request.query == ["SiteId": "1"] else {
        return refuse(400, "MissingParameter", "SiteId must be the only parameter")
      }
      switch (request.header("x-acs-action"), request.method) {
      case ("GetOriginProtection", "GET"):
        func list(_ values: [String]) -> String {
          "[" + values.map { "\"\($0)\"" }.joined(separator: ",") + "]"
        }
        return .json(
          """
          {"RequestId":"R-GET","SiteId":1,"OriginProtection":"on","OriginConverge":"on",
           "NeedUpdate":\(current != latest),
           "CurrentIPWhitelist":{"IPv4":\(list(current)),"IPv6":[]},
           "LatestIPWhitelist":{"IPv4":\(list(latest)),"IPv6":[]}}
          """)
      case ("UpdateOriginProtectionIpWhiteList", "POST"):
        if throttle > 0 {
          throttle -= 1
          return refuse(400, "Throttling.User", "Request was denied due to user flow control.")
        }
        confirmations += 1
        current = latest
        return .json(#"{"RequestId":"R-CONFIRM"}"#)
      default:
        return refuse(404, "InvalidApi.NotFound", "wrong action or method")
      }
    }
  }
}

/// `confirm_after` with the shipped binary: pending → (throttled) → confirmed across syncs,
/// and at no step does the kernel refuse a node ESA can send from.
@Suite("Adversarial: ESA confirmation", .enabled(if: KernelTests.enabled))
struct AdversarialESAConfirmTests {
  static let a = ["192.0.2.0/24", "198.51.100.0/24"]
  static let b = ["192.0.2.0/24", "203.0.113.0/24"]

  func configure(_ sandbox: GuardSandbox, endpoint: String, confirmAfter: String?) throws {
    try sandbox.writeConfiguration(
      sources: """
          - name: esa
            type: alibaba-esa
            site_ids: [1]
            endpoint: \(endpoint)
            access_key_id: \(AlibabaFake.accessKeyID)
            access_key_secret: \(AlibabaFake.accessKeySecret)
            retry_max_attempts: 1
        \(confirmAfter.map { "    confirm_after: \($0)" } ?? "")
        """,
      extra: "guards:\n  min_entries: 1\n  max_shrink_percent: 60")
  }

  @Test func aPendingUpdateIsConfirmedAfterConfirmAfterAndAThrottledTryChangesNothing()
    async throws
  {
    try await GuardSandbox.with { sandbox in
      let site = FakeESASite(current: Self.a, throttle: 1)
      let api = try NamespaceHTTPServer(in: sandbox.namespace, handler: site.handler)
      try configure(sandbox, endpoint: api.baseURL, confirmAfter: "1s")
      let first = try sandbox.originGuard("sync")
      try #require(first.status == 0, "\(first.errorOutput)")

      site.publish(Self.b)
      let seen = try sandbox.originGuard("sync")
      try #require(seen.status == 0, "\(seen.errorOutput)")
      #expect(site.confirmations == 0 && site.needUpdate, "confirmed before confirm_after")
      #expect(try sandbox.kernelElements(set: "allowed_v4") == Set(Self.a + Self.b))

      try await Task.sleep(for: .milliseconds(1200))
      let throttled = try sandbox.originGuard("sync")
      #expect(
        throttled.status == 0, "a failed confirmation failed the sync: \(throttled.errorOutput)")
      #expect(
        throttled.errorOutput.contains("could not confirm ESA site 1's update"),
        "\(throttled.errorOutput)")
      #expect(site.needUpdate)
      #expect(try sandbox.kernelElements(set: "allowed_v4") == Set(Self.a + Self.b))

      let confirmed = try sandbox.originGuard("sync")
      try #require(confirmed.status == 0, "\(confirmed.errorOutput)")
      #expect(site.confirmations == 1 && !site.needUpdate, "\(confirmed.errorOutput)")
      #expect(
        confirmed.errorOutput.contains("confirmed ESA site 1's update"), "\(confirmed.errorOutput)")

      // ESA sends from B now; A's other node stays for retain_removed, nothing is refused.
      let after = try sandbox.originGuard("sync")
      try #require(after.status == 0, "\(after.errorOutput)")
      #expect(try sandbox.kernelElements(set: "allowed_v4") == Set(Self.a + Self.b))
      let status = try sandbox.originGuard("status")
      #expect(!status.output.contains("awaiting confirmation"), "\(status.output)")
      #expect(site.confirmations == 1)
      #expect(site.refusals == ["Throttling.User"], "the fake refused: \(site.refusals)")
    }
  }

  @Test func withoutConfirmAfterNothingIsConfirmed() async throws {
    try await GuardSandbox.with { sandbox in
      let site = FakeESASite(current: Self.a)
      let api = try NamespaceHTTPServer(in: sandbox.namespace, handler: site.handler)
      try configure(sandbox, endpoint: api.baseURL, confirmAfter: nil)
      site.publish(Self.b)
      for _ in 0..<2 {
        let sync = try sandbox.originGuard("sync")
        try #require(sync.status == 0, "\(sync.errorOutput)")
      }
      #expect(site.confirmations == 0 && site.needUpdate)
    }
  }

  @Test func validateRefusesConfirmAfterWithoutTheUnionList() async throws {
    try await GuardSandbox.with { sandbox in
      try sandbox.writeConfiguration(
        sources: """
            - name: esa
              type: alibaba-esa
              site_ids: [1]
              list: latest
              confirm_after: 30m
          """)
      let result = try sandbox.originGuard("validate")
      #expect(result.status == 1)
      #expect(
        result.errorOutput.contains("confirm_after needs list: union"), "\(result.errorOutput)")
    }
  }
}
