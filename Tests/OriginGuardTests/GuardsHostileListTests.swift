import AddressSet
import AddressSources
import Foundation
import Testing

@testable import OriginGuard

/// The guards against lists built to hurt: every merged prefix too broad, tens of thousands of
/// them, each with its listings.
@Suite("Guards: hostile lists")
struct GuardsHostileListTests {
  /// `pairs` pairs of adjacent IPv6 /32s (allowed one by one) that merge into as many /31s
  /// (too broad), with a gap between pairs.
  static func broadPairs(_ pairs: Int) -> CombinedSources {
    var entries: [SourceEntry] = []
    for pair in 0..<pairs {
      for half in 0..<2 {
        let network = IPv6Address(bits: (UInt128(0x2000_0000 + 4 * pair + half)) << 96)
        entries.append(
          SourceEntry(
            prefix: .v6(IPv6Prefix(network, length: 32)),
            origin: .url("https://lists.example/l.txt", line: entries.count + 1)))
      }
    }
    return CombinedSources([
      SourceResult(
        source: "web", kind: .url, entries: entries, fetchedAt: Date(),
        version: SourceVersion(checksum: "test"))
    ])
  }

  /// The refusals of `pairs` broad prefixes and how long the check took, in seconds.
  static func check(_ pairs: Int) -> ([GuardRefusal], Double) {
    let combined = broadPairs(pairs)
    let clock = ContinuousClock()
    let start = clock.now
    let refusals = Guards(settings: testGuards).check(combined)
    let elapsed = clock.now - start
    return (
      refusals, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    )
  }

  /// 10,000 broad prefixes: each refusal names its own two lines, found through one index
  /// (each used to scan all entries: four times the prefixes took sixteen times as long), and
  /// the message lists 20 of them.
  @Test func broadPrefixesAreCheckedInLinearTime() {
    let (_, small) = Self.check(2_500)
    let (refusals, large) = Self.check(10_000)
    #expect(large < 30, "10,000 broad prefixes took \(large) s")
    #expect(large < 8 * small + 0.2, "2,500 broad prefixes: \(small) s, 10,000: \(large) s")
    let broad = refusals.filter { $0.kind == "min_prefix_length" }
    #expect(broad.count == 10_000)
    guard case .prefixTooBroad(let prefix, 32, let provenance) = broad.last else {
      Issue.record("unexpected \(String(describing: broad.last))")
      return
    }
    #expect(prefix.length == 31)
    #expect(
      provenance.map(\.description).sorted() == [
        "source web, URL https://lists.example/l.txt line 19999",
        "source web, URL https://lists.example/l.txt line 20000",
      ])
    let message = CycleError.refused(refusals, plan: nil).description
    #expect(message.contains("and 9,981 more refusals"), "\(message.suffix(200))")
    #expect(message.utf8.count < 16_384)
  }

  /// A /0 made of 65,536 /16s: one refusal whose listings are cut to 20.
  @Test func everythingFromSixtyFiveThousandLinesIsOneShortRefusal() {
    let entries = (0..<65_536).map { index in
      SourceEntry(
        prefix: .v4(IPv4Prefix(IPv4Address(bits: UInt32(index) << 16), length: 16)),
        origin: .file(path: "/l.txt", line: index + 1))
    }
    let combined = CombinedSources([
      SourceResult(
        source: "list", kind: .file, entries: entries, fetchedAt: Date(),
        version: SourceVersion(checksum: "test"))
    ])
    let refusals = Guards(settings: testGuards).check(combined)
    #expect(refusals.map(\.kind) == ["allows_everything"])
    let description = refusals.first?.description ?? ""
    #expect(description.contains("and 65,516 more listings"))
    #expect(description.utf8.count < 4_096)
  }
}
