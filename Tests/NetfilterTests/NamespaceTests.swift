import AddressSet
import Netfilter
import TestSupport
import Testing

@Suite("Network namespaces", .enabled(if: KernelTests.enabled))
struct NamespaceTests {
  /// A backend opened for a namespace acts there, not in the namespace of the calling thread,
  /// and two namespaces do not see each other.
  @Test func backendsActInTheirOwnNamespace() async throws {
    try await withThrowawayNamespace { first in
      try await withThrowawayNamespace { second in
        let one = try NetlinkBackend(networkNamespace: first.path)
        let other = try NetlinkBackend(networkNamespaceNamed: second.name)
        try one.install(addresses("10.0.0.0/8"))
        #expect(try one.readTable(named: table, withElements: false) != nil)
        #expect(try other.readTable(named: table, withElements: false) == nil)
        #expect(try first.nft("list", "tables").output.contains("origin_guard"))
        #expect(try second.nft("list", "tables").output.isEmpty)
      }
    }
  }

  @Test func missingNamespaceIsATypedError() {
    #expect {
      try NetlinkBackend(networkNamespace: "/var/run/netns/og-does-not-exist")
    } throws: { error in
      guard case .namespaceUnavailable(let path, _) = error as? NetfilterError else { return false }
      return path == "/var/run/netns/og-does-not-exist" && "\(error)".contains("ip netns list")
    }
  }
}
