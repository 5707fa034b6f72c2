import AddressSet
import Netfilter
import PropertyBased
import Testing

/// The encoder against a model: for any canonical set, the elements (key, end flag) decode
/// back to the same ranges, in any order, and each range is exactly one start plus one end
/// at the address after it (none at the top of the space).
@Suite("Interval element encoding")
struct IntervalEncodingTests {
  /// Up to 20 prefixes inside a 256-address window at the bottom or the top of the space.
  static let prefixes = zip(Gen.int(in: 0..<256), Gen.int(in: 0...8), Gen.bool).array(of: 0...20)

  static func window4(_ items: [(Int, Int, Bool)]) -> IPv4Set {
    IPv4Set(
      prefixes: items.map { offset, hostBits, top in
        IPv4Prefix(
          IPv4Address(bits: (top ? UInt32.max - 255 : 0) + UInt32(offset)), length: 32 - hostBits)
      })
  }

  static func window6(_ items: [(Int, Int, Bool)]) -> IPv6Set {
    IPv6Set(
      prefixes: items.map { offset, hostBits, top in
        IPv6Prefix(
          IPv6Address(bits: (top ? UInt128.max - 255 : 0) + UInt128(offset)), length: 128 - hostBits
        )
      })
  }

  @Test func ipv4RoundTrip() async {
    await propertyCheck(count: 300, input: Self.prefixes) { items in
      Self.checkRoundTrip(Self.window4(items))
    }
  }

  @Test func ipv6RoundTrip() async {
    await propertyCheck(count: 300, input: Self.prefixes) { items in
      Self.checkRoundTrip(Self.window6(items))
    }
  }

  static func checkRoundTrip<A: IPAddress>(_ set: IntervalSet<A>) {
    let elements = IntervalEncoding.elements(of: set.ranges)
    #expect(IntervalEncoding.ranges(from: elements) == set.ranges)
    // The kernel dumps in descending order, and touching stored ranges share a key.
    #expect(IntervalEncoding.ranges(from: elements.reversed()) == set.ranges)
    #expect(IntervalEncoding.ranges(from: elements.shuffled()) == set.ranges)
    // Model: every address of the window is in the set exactly when the elements say so.
    let starts = elements.filter { !$0.isEnd }.map(\.key)
    let ends = elements.filter(\.isEnd).map(\.key)
    #expect(starts == set.ranges.map(\.first))
    #expect(ends == set.ranges.compactMap(\.end))
    #expect(elements.count == 2 * set.ranges.count - (set.ranges.last?.last == .max ? 1 : 0))
  }

  @Test func edgesOfTheAddressSpace() {
    let whole = IntervalEncoding.elements(of: [v4("0.0.0.0/0")])
    #expect(whole == [IntervalElement(key: IPv4Address(bits: 0), isEnd: false)])
    #expect(
      IntervalEncoding.elements(of: [v4("255.255.255.255/32")])
        == [IntervalElement(key: IPv4Address(255, 255, 255, 255), isEnd: false)])
    #expect(
      IntervalEncoding.elements(of: [v4("0.0.0.0/32")])
        == [
          IntervalElement(key: IPv4Address(0, 0, 0, 0), isEnd: false),
          IntervalElement(key: IPv4Address(0, 0, 0, 1), isEnd: true),
        ])
    #expect(
      IntervalEncoding.elements(of: [v4("10.0.0.0/24")])
        == [
          IntervalElement(key: IPv4Address(10, 0, 0, 0), isEnd: false),
          IntervalElement(key: IPv4Address(10, 0, 1, 0), isEnd: true),
        ])
    #expect(
      IntervalEncoding.elements(of: [v6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00/120")]).count == 1)
  }

  @Test func dumpQuirksAreTolerated() {
    let a = IPv4Address(10, 0, 0, 0)
    let b = IPv4Address(10, 0, 1, 0)
    let c = IPv4Address(10, 0, 2, 0)
    // nft's stray end element at 0.0.0.0 in an otherwise empty set.
    #expect(
      IntervalEncoding.ranges(from: [IntervalElement(key: IPv4Address(bits: 0), isEnd: true)])
        .isEmpty)
    // Two starts in a row: the first range ends where the second starts.
    #expect(
      IntervalEncoding.ranges(from: [
        IntervalElement(key: a, isEnd: false), IntervalElement(key: b, isEnd: false),
        IntervalElement(key: c, isEnd: true),
      ]) == [AddressRange(start: a, end: b)!, AddressRange(start: b, end: c)!])
    // A trailing start runs to the top.
    #expect(
      IntervalEncoding.ranges(from: [IntervalElement(key: c, isEnd: false)])
        == [AddressRange(first: c, last: .max)])
  }
}
