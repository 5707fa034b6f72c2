import AddressSet
import Netfilter
import TestSupport
import Testing

/// Real packets between two namespaces: the ruleset guards the guarded ports only, allowed
/// sources get through, and the drop counter counts the rest.
@Suite("Packets", .enabled(if: KernelTests.enabled))
struct PacketTests {
  @Test(arguments: GuardRuleset.HookMode.allCases) func guardsOnlyTheGuardedPorts(
    mode: GuardRuleset.HookMode
  ) async throws {
    try await withServerAndClient { server, client in
      var rules = GuardRuleset()
      rules.hookMode = mode
      let backend = try NetlinkBackend(networkNamespace: server.path)
      try backend.install(addresses("198.51.100.0/24"), rules)

      // Not allowed: port 80 and 443 are dropped (no answer), port 22 is untouched (refused).
      #expect(try client.connectTCP(to: "192.0.2.1", port: 80) == .dropped)
      #expect(try client.connectTCP(to: "2001:db8::1", port: 443) == .dropped)
      #expect(try client.connectTCP(to: "192.0.2.1", port: 22) == .answered)
      let counter = try #require(try backend.dropCounter(table: table, chain: rules.guardChainName))
      #expect(counter.packets >= 2)
      #expect(counter.bytes >= 100)

      // Allowed: the connection reaches the host (refused: nothing listens).
      try backend.install(addresses("192.0.2.2", "2001:db8::2"), rules)
      #expect(try client.connectTCP(to: "192.0.2.1", port: 80) == .answered)
      #expect(try client.connectTCP(to: "2001:db8::1", port: 443) == .answered)
      // From the server itself, over loopback, always.
      #expect(try server.connectTCP(to: "127.0.0.1", port: 80) == .answered)
    }
  }
}
