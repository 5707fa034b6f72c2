import AddressSet
import Testing

@Suite("Interval sets at the edges of the address space")
struct IntervalSetEdgeTests {
  func v4(_ text: String) -> IPv4Prefix {
    guard case .v4(let p) = try! PrefixParser.parse(text).prefix else { fatalError(text) }
    return p
  }

  func v6(_ text: String) -> IPv6Prefix {
    guard case .v6(let p) = try! PrefixParser.parse(text).prefix else { fatalError(text) }
    return p
  }

  @Test func wholeIPv4Space() {
    let set = IPv4Set(prefixes: [v4("0.0.0.0/0")])
    #expect(set.ranges == [AddressRange(first: .zero, last: .max)])
    #expect(set.prefixes == [v4("0.0.0.0/0")])
    #expect(set.addressCount.description == "4294967296")
    #expect(set.ranges[0].end == nil)
    #expect(set.contains(.zero) && set.contains(.max))
  }

  @Test func wholeIPv6SpaceCountsWithoutOverflow() {
    let set = IPv6Set(prefixes: [v6("::/0")])
    #expect(set.addressCount.description == "340282366920938463463374607431768211456")
    #expect(set.addressCount.exactValue == nil)
    #expect(set.prefixes == [v6("::/0")])
    #expect(set.contains(.max))
  }

  @Test func twoHalvesMergeIntoTheWholeSpace() {
    let set = IPv4Set(prefixes: [v4("128.0.0.0/1"), v4("0.0.0.0/1")])
    #expect(set.prefixes == [v4("0.0.0.0/0")])
  }

  @Test func topAndBottomAddresses() {
    let set = IPv4Set(prefixes: [
      v4("255.255.255.255/32"), v4("0.0.0.0/32"), v4("255.255.255.0/24"),
    ])
    #expect(set.ranges.map(\.description) == ["0.0.0.0", "255.255.255.0-255.255.255.255"])
    #expect(set.ranges.map(\.end) == [IPv4Address(0, 0, 0, 1), nil])
    let top6 = IPv6Set(prefixes: [v6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00/120")])
    #expect(top6.ranges[0].end == nil)
    #expect(top6.prefixes.map(\.description) == ["ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00/120"])
  }

  @Test func touchingRangesMerge() {
    let set = IPv4Set(prefixes: [v4("10.0.0.0/25"), v4("10.0.0.128/25"), v4("10.0.1.0/24")])
    #expect(set.ranges.count == 1)
    #expect(set.prefixes.map(\.description) == ["10.0.0.0/23"])
  }

  @Test func rangeToPrefixesOfAnUnalignedRange() {
    let range = AddressRange(first: IPv4Address(10, 0, 0, 1), last: IPv4Address(10, 0, 0, 10))
    #expect(
      range.prefixes.map(\.description) == [
        "10.0.0.1/32", "10.0.0.2/31", "10.0.0.4/30", "10.0.0.8/31", "10.0.0.10/32",
      ])
    let full = AddressRange(first: IPv6Address.zero, last: IPv6Address.max)
    #expect(full.prefixes.map(\.description) == ["::/0"])
    let upperHalf = AddressRange(first: IPv4Address(bits: 1), last: .max)
    #expect(upperHalf.prefixes.count == 32)
  }

  @Test func halfOpenConstruction() {
    #expect(
      AddressRange(start: IPv4Address(10, 0, 0, 0), end: IPv4Address(10, 0, 1, 0))?.description
        == "10.0.0.0-10.0.0.255")
    #expect(AddressRange(start: IPv4Address(10, 0, 0, 0), end: nil)?.last == .max)
    #expect(AddressRange(start: IPv4Address(10, 0, 0, 1), end: IPv4Address(10, 0, 0, 1)) == nil)
  }

  @Test func dualStackSetKeepsFamiliesApart() throws {
    let set = DualStackSet(
      prefixes: try ["10.0.0.0/8", "2001:db8::/32", "::ffff:192.0.2.1"].map {
        try PrefixParser.parse($0).prefix
      })
    #expect(set.v4.prefixes.map(\.description) == ["10.0.0.0/8", "192.0.2.1/32"])
    #expect(set.v6.prefixes.map(\.description) == ["2001:db8::/32"])
    #expect(set.contains(try PrefixParser.parseAddress("2001:db8::1")))
    #expect(!set.contains(try PrefixParser.parseAddress("11.0.0.1")))
  }
}
