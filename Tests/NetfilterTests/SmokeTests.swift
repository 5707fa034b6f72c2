import AddressSet
import Netfilter
import TestSupport
import Testing

@Test(.enabled(if: KernelTests.enabled)) func smoke() async throws {
  try await withThrowawayNamespace { ns in
    let backend = try NetlinkBackend(networkNamespace: ns.path)
    let g0 = try backend.generation()
    print("gen", g0)
    let ruleset = GuardRuleset()
    let set = DualStackSet(prefixes: ["10.0.0.0/24", "1.2.3.4/32", "255.255.255.0/24", "2001:db8::/48"].map { try! PrefixParser.parse($0).prefix })
    let g1 = try backend.apply(ruleset.installTransaction(allowing: set), expectedGeneration: g0)
    print("gen after", g1, try backend.generation())
    print(try ns.nft("list", "ruleset").output)
    let state = try backend.readTable(named: "origin_guard", withElements: true)
    print(state as Any)
    print(ruleset.compare(state, desired: set))
  }
}
