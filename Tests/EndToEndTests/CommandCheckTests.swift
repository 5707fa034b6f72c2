import Foundation
import TestSupport
import Testing

/// `check ADDRESS`: allowed or not, by which element, from which source.
@Suite("origin-guard check in a namespace")
struct CommandCheckTests {
  @Test(.enabled(if: KernelTests.enabled))
  func namesTheElementAndTheSourceOfAnAllowedAddress() async throws {
    try await withCommandSetup { setup in
      try setup.writeConfig()
      try setup.writeList(["198.51.100.7/32", "203.0.113.0/24", "2001:db8:1::/48"])
      try setup.originGuard("sync")

      let v4 = try setup.originGuard("check", "203.0.113.77").output
      #expect(v4.contains("203.0.113.77: ALLOWED on tcp ports 80, 443 by element 203.0.113.0/24"))
      #expect(
        v4.contains("listed as 203.0.113.0/24 from source list, file \(setup.listPath) line 3"))

      let json = try parseObject(setup.originGuard("check", "2001:db8:1:ffff::1", "--json").output)
      #expect(json["allowed"] as? Bool == true)
      #expect(json["guarded"] as? Bool == true)
      #expect(json["element"] as? String == "2001:db8:1::/48")
      let sources = try #require(json["sources"] as? [[String: Any]])
      #expect(sources.first?["prefix"] as? String == "2001:db8:1::/48")
      #expect(
        sources.first?["provenance"] as? [String] == [
          "source list, file \(setup.listPath) line 4"
        ])
    }
  }

  @Test(.enabled(if: KernelTests.enabled))
  func exitsSevenForAnAddressThatIsNotAllowed() async throws {
    try await withCommandSetup { setup in
      try setup.writeConfig()
      try setup.writeList(["198.51.100.7/32", "2001:db8:1::/48"])
      try setup.originGuard("sync")

      let v4 = try setup.originGuard("check", "198.51.100.8", exits: 7).output
      #expect(v4.contains("198.51.100.8: NOT ALLOWED on tcp ports 80, 443"))
      let v6 = try setup.originGuard("check", "2001:db8:2::1", "--json", exits: 7).output
      let json = try parseObject(v6)
      #expect(json["allowed"] as? Bool == false)
      #expect(json["element"] == nil)
    }
  }
}
