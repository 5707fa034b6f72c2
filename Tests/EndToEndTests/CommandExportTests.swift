import Foundation
import TestSupport
import Testing

/// `export`: the last-known-good list as an nft script, JSON with provenance, an nginx include.
@Suite("origin-guard export")
struct CommandExportTests {
  static let list = [
    "203.0.113.0/24", "198.51.100.7/32", "192.0.2.128/25", "2001:db8:1::/48", "2001:db8:2::5/128",
  ]

  @Test(.enabled(if: KernelTests.enabled))
  func theNftScriptLoadsIntoAFreshNamespaceWithOurElements() async throws {
    try await withCommandSetup { setup in
      try setup.writeConfig()
      try setup.writeList(Self.list)
      try setup.originGuard("sync")
      let script = try setup.originGuard("export", "--format", "nft").output

      try await withThrowawayNamespace { namespace in
        let other = setup.moved(to: namespace)
        try namespace.load(ruleset: script)
        #expect(try other.tables() == ["inet origin_guard"])
        #expect(try other.elements(of: "allowed_v4") == setup.elements(of: "allowed_v4"))
        #expect(try other.elements(of: "allowed_v6") == setup.elements(of: "allowed_v6"))
        #expect(try other.allowed() == Set(Self.list))
      }
      // Loaded over our live table it declares the same sets, so nft accepts it there too.
      try setup.namespace.nft("-c", "-f", "-", input: script)
    }
  }

  @Test(.enabled(if: KernelTests.enabled))
  func theJSONListsEveryPrefixWithProvenance() async throws {
    try await withCommandSetup { setup in
      try setup.writeConfig(
        sources: setup.fileSource + """

            - name: pinned
              type: static
              addresses: [203.0.113.0/24, 100.64.1.0/24]
          """)
      try setup.writeList(Self.list)
      try setup.originGuard("sync")
      let object = try parseObject(setup.originGuard("export", "--format", "json").output)
      #expect(object["generated_at"] is String)
      let prefixes = try #require(object["prefixes"] as? [[String: Any]])
      #expect(
        Set(prefixes.compactMap { $0["prefix"] as? String }) == Set(Self.list + ["100.64.1.0/24"]))
      let shared = try #require(prefixes.first { $0["prefix"] as? String == "203.0.113.0/24" })
      #expect(shared["family"] as? String == "ipv4")
      let provenance = (shared["provenance"] as? [[String: String]]) ?? []
      #expect(
        Set(provenance) == [
          ["source": "list", "origin": "file \(setup.listPath) line 2"],
          ["source": "pinned", "origin": "configuration"],
        ])
      let v6 = try #require(prefixes.first { $0["prefix"] as? String == "2001:db8:2::5/128" })
      #expect(v6["family"] as? String == "ipv6")
    }
  }

  @Test(.enabled(if: KernelTests.enabled))
  func theNginxIncludeHasOneSetRealIPFromPerPrefix() async throws {
    try await withCommandSetup { setup in
      try setup.writeConfig()
      try setup.writeList(Self.list)
      try setup.originGuard("sync")
      let text = try setup.originGuard("export", "--format", "nginx").output
      let directives = text.split(separator: "\n").filter { !$0.hasPrefix("#") }
      #expect(directives.count == Self.list.count)
      #expect(Set(directives.map(String.init)) == Set(Self.list.map { "set_real_ip_from \($0);" }))

      let allow = try setup.originGuard("export", "--format", "nginx", "--nginx-directive", "allow")
        .output
      let allowLines = allow.split(separator: "\n").filter { !$0.hasPrefix("#") }
      #expect(allowLines.last == "deny all;")
      #expect(Set(allowLines.dropLast().map(String.init)) == Set(Self.list.map { "allow \($0);" }))
    }
  }
}
