import Foundation
import TestSupport
import Testing

/// The shipped binary against a loopback ESA that walks a site through an origin-protection
/// update: A only → update pending (current A, latest B) → confirmed (B only). ESA sends from
/// A until the confirmation and from B right after; at no step may the kernel refuse a node
/// ESA can send from.
@Suite("Adversarial: ESA pending update", .enabled(if: KernelTests.enabled))
struct AdversarialESAPendingUpdateTests {
  static let a = ["192.0.2.0/24", "198.51.100.0/24"]
  static let b = ["192.0.2.0/24", "203.0.113.0/24"]

  static func answer(current: [String], latest: [String], needUpdate: Bool)
    -> NamespaceHTTPServer.Handler
  {
    { request in
      guard request.header("x-acs-action") == "GetOriginProtection",
        request.header("authorization")?.hasPrefix("ACS3-HMAC-SHA256 ") == true
      else { return AlibabaFake.error(404, "InvalidApi.NotFound", "wrong action") }
      func list(_ values: [String]) -> String {
        "[" + values.map { "\"\($0)\"" }.joined(separator: ",") + "]"
      }
      return .json(
        """
        {"RequestId":"R-1","SiteId":1,"OriginProtection":"on","OriginConverge":"on",
         "NeedUpdate":\(needUpdate),
         "CurrentIPWhitelist":{"IPv4":\(list(current)),"IPv6":[]},
         "LatestIPWhitelist":{"IPv4":\(list(latest)),"IPv6":[]}}
        """)
    }
  }

  @Test func noNodeIsDroppedAcrossAPendingThenConfirmedUpdate() async throws {
    try await GuardSandbox.with { sandbox in
      let api = try NamespaceHTTPServer(
        in: sandbox.namespace,
        handler: Self.answer(current: Self.a, latest: Self.a, needUpdate: false))
      try sandbox.writeConfiguration(
        sources: """
            - name: esa
              type: alibaba-esa
              site_ids: [1]
              endpoint: \(api.baseURL)
              access_key_id: \(AlibabaFake.accessKeyID)
              access_key_secret: \(AlibabaFake.accessKeySecret)
          """,
        extra: "guards:\n  min_entries: 1\n  max_shrink_percent: 60")

      let first = try sandbox.originGuard("sync")
      try #require(first.status == 0, "\(first.errorOutput)")
      #expect(try sandbox.kernelElements(set: "allowed_v4") == Set(Self.a))

      api.answer(with: Self.answer(current: Self.a, latest: Self.b, needUpdate: true))
      let plan = try sandbox.originGuard("plan")
      #expect(
        plan.output.contains("ESA site 1: update awaiting confirmation since")
          && plan.output.contains("adds 1, removes 1 prefixes"), "\(plan.output)")
      let pending = try sandbox.originGuard("sync")
      try #require(pending.status == 0, "\(pending.errorOutput)")
      #expect(try sandbox.kernelElements(set: "allowed_v4") == Set(Self.a + Self.b))
      let status = try sandbox.originGuard("status")
      #expect(
        status.output.contains("ESA site 1: update awaiting confirmation"), "\(status.output)")

      api.answer(with: Self.answer(current: Self.b, latest: Self.b, needUpdate: false))
      let confirmed = try sandbox.originGuard("sync")
      try #require(confirmed.status == 0, "\(confirmed.errorOutput)")
      // ESA sends from B alone now; what only A had stays for retain_removed (24h).
      #expect(try sandbox.kernelElements(set: "allowed_v4") == Set(Self.a + Self.b))
      let kept = try sandbox.originGuard("plan")
      #expect(kept.output.contains("198.51.100.0/24  source esa, kept until"), "\(kept.output)")
      let after = try sandbox.originGuard("status")
      #expect(!after.output.contains("awaiting confirmation"), "\(after.output)")
    }
  }
}
