import AddressSet
import AddressSources
import Foundation
import Netfilter
import Testing

@testable import OriginGuard

/// The one renderer per format, shared by `export` and `outputs:`.
@Suite("List documents")
struct ListDocumentTests {
  static func document(_ prefixes: [String], at seconds: TimeInterval = 0) -> ListDocument {
    let entries = prefixes.map { SourceEntry(prefix: prefix($0), origin: .configuration) }
    let combined = CombinedSources([
      SourceResult(
        source: "cdn", kind: .static, entries: entries, fetchedAt: testEpoch,
        version: SourceVersion(checksum: "test"))
    ])
    return ListDocument(
      set: combined.set, combined: combined, sourceNames: ["cdn"], ruleset: GuardRuleset(),
      generatedAt: testEpoch + seconds)
  }

  static let list = ["192.0.2.0/24", "2001:db8::/32"]

  @Test(arguments: ListFormat.allCases)
  func theSameListAtAnotherTimeComparesEqual(_ format: ListFormat) {
    let now = Self.document(Self.list).render(format)
    let later = Self.document(Self.list, at: 3600).render(format)
    #expect(now != later, "the time is in the text")
    #expect(ListDocument.comparable(now) == ListDocument.comparable(later))
    let other = Self.document(Self.list + ["198.51.100.0/24"]).render(format)
    #expect(ListDocument.comparable(now) != ListDocument.comparable(other))
  }

  @Test func eachFormatSaysWhatMadeIt() {
    let document = Self.document(Self.list)
    for format in ListFormat.allCases where format != .json {
      let text = document.render(format)
      #expect(text.contains("# Written by origin-guard at 2026-01-01T00:00:00Z.\n"), "\(format)")
      #expect(text.contains("# The allow-list from sources cdn: 2 prefixes.\n"), "\(format)")
    }
    let json = document.render(.json)
    let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
    #expect(object?["generated_at"] as? String == "2026-01-01T00:00:00Z")
    #expect(object?["sources"] as? [String] == ["cdn"])
    #expect(object?["count"] as? Int == 2)
  }

  @Test func theWebServerFormats() {
    let document = Self.document(Self.list)
    func body(_ format: ListFormat) -> [String] {
      document.render(format).split(separator: "\n").map(String.init).filter {
        !$0.hasPrefix("# Written") && !$0.hasPrefix("# The allow-list")
      }
    }
    #expect(
      body(.nginxRealIP) == [
        "set_real_ip_from 192.0.2.0/24;", "set_real_ip_from 2001:db8::/32;",
        "# real_ip_header X-Forwarded-For;   # or Ali-Cdn-Real-Ip, in the including block",
      ])
    #expect(body(.nginxAllow) == ["allow 192.0.2.0/24;", "allow 2001:db8::/32;", "deny all;"])
    #expect(
      body(.apacheRemoteIP) == [
        "RemoteIPTrustedProxy 192.0.2.0/24", "RemoteIPTrustedProxy 2001:db8::/32",
      ])
    #expect(body(.apacheRequire) == ["Require ip 192.0.2.0/24", "Require ip 2001:db8::/32"])
  }

  @Test func anEmptyListLetsNobodyIn() {
    let document = Self.document([])
    #expect(document.render(.nginxAllow).hasSuffix("prefixes.\ndeny all;\n"))
    #expect(document.render(.apacheRequire).hasSuffix("prefixes.\nRequire all denied\n"))
  }
}
