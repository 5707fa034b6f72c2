import AddressSources
import Testing

@Suite struct MakeSourceTests {
  @Test func everyKindBuildsItsSource() async throws {
    let context = makeContext()
    let configs: [SourceConfig] = [
      .static(StaticSourceConfig(name: "alb", prefixes: ["100.64.0.0/10"])),
      .file(FileSourceConfig(name: "extra", path: "/etc/origin-guard/extra.txt")),
      .url(URLSourceConfig(name: "cf", preset: .cloudflare)),
      .alibabaCDN(AlibabaCDNSourceConfig(name: "cdn", domains: ["www.example.com"])),
      .alibabaESA(AlibabaESASourceConfig(name: "esa", siteIDs: ["1"])),
    ]
    #expect(
      configs.map { makeSource($0, context: context).name } == ["alb", "extra", "cf", "cdn", "esa"])
    #expect(configs.map(\.kind) == [.static, .file, .url, .alibabaCDN, .alibabaESA])
    #expect(
      SourceKind.allCases.map(\.rawValue) == [
        "static", "file", "url", "alibaba-cdn", "alibaba-esa",
      ])
    let combined = combine([try await makeSource(configs[0], context: context).fetch()])
    #expect(
      combined.explain(address("100.100.100.200")).first?.provenance.first?.description
        == "source alb, configuration")
  }
}
