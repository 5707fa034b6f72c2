import AddressSet
import AddressSources
import Foundation
import Testing

@Suite struct CombinedSourcesTests {
  func result(_ source: String, _ entries: [(String, Origin)]) -> SourceResult {
    let parsed = entries.map { SourceEntry(prefix: prefix($0.0), origin: $0.1) }
    return SourceResult(
      source: source, kind: .alibabaCDN, entries: parsed, fetchedAt: Date(timeIntervalSince1970: 0),
      version: SourceVersion(checksum: "sha256:x"))
  }

  @Test func mergesSourcesAndKeepsEveryContributor() {
    let combined = CombinedSources([
      result(
        "cdn",
        [
          ("192.0.2.0/25", .cdnDomain("www.example.com")),
          ("192.0.2.0/25", .cdnDomain("img.example.com")),
        ]),
      result("cdn2", [("192.0.2.128/25", .cdnDomain("www.example.com"))]),
      result("alb", [("100.64.0.0/10", .configuration), ("192.0.2.0/25", .configuration)]),
    ])
    #expect(
      combined.set == DualStackSet(prefixes: [prefix("192.0.2.0/24"), prefix("100.64.0.0/10")]))
    #expect(
      combined.provenance[prefix("192.0.2.0/25")] == [
        Provenance(source: "cdn", origin: .cdnDomain("www.example.com")),
        Provenance(source: "cdn", origin: .cdnDomain("img.example.com")),
        Provenance(source: "alb", origin: .configuration),
      ])
    let explained = combined.explain(address("192.0.2.200"))
    #expect(explained.map(\.prefix) == [prefix("192.0.2.128/25")])
    #expect(explained.first?.provenance.first?.description == "source cdn2, domain www.example.com")
    #expect(combined.explain(address("203.0.113.1")).isEmpty)
    // A merged range the plan adds maps back to every source prefix inside it.
    #expect(
      combined.contributors(overlapping: prefix("192.0.2.0/24")).map(\.prefix) == [
        prefix("192.0.2.0/25"), prefix("192.0.2.128/25"),
      ])
  }

  @Test func duplicatesWithinASourceAreListedOnce() {
    let combined = CombinedSources([
      result("cdn", [("192.0.2.0/25", .cdnDomain("a")), ("192.0.2.0/25", .cdnDomain("a"))])
    ])
    #expect(combined.provenance[prefix("192.0.2.0/25")]?.count == 1)
  }

  @Test func familiesStaySeparate() {
    let combined = CombinedSources([
      result(
        "cdn",
        [
          ("2001:db8::/32", .url("https://example.com/list", line: 2)),
          ("192.0.2.0/24", .configuration),
        ])
    ])
    #expect(combined.set.v4.prefixes.count == 1)
    #expect(combined.set.v6.prefixes.count == 1)
    #expect(
      combined.explain(address("2001:db8::1")).first?.provenance.first?.description
        == "source cdn, URL https://example.com/list line 2")
  }
}
