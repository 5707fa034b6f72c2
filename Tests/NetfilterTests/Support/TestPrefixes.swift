import AddressSet

/// Large, realistic allow-lists: 90% single addresses, 10% /24 networks, none touching.
enum TestPrefixes {
  /// `count` prefixes, one per /24 block spread over 1.0.0.0 onwards, skipping every other block
  /// so that no two touch. Deterministic.
  static func spread(count: Int, offset: UInt32 = 0) -> [IPv4Prefix] {
    (0..<count).map { index in
      let block = UInt32(0x0100_0000) + (UInt32(index) + offset) * 512
      return index % 10 == 9
        ? IPv4Prefix(IPv4Address(bits: block), length: 24)
        : IPv4Prefix(host: IPv4Address(bits: block + 7))
    }
  }

  /// Removes every 100th range (for 1%) and adds as many new ones in the gaps.
  static func churn(_ ranges: [AddressRange<IPv4Address>], percent: Int) -> [AddressRange<
    IPv4Address
  >] {
    let step = 100 / percent
    var result: [AddressRange<IPv4Address>] = []
    for (index, range) in ranges.enumerated() {
      if index % step == 0 {
        // In the free /24 after this range's block.
        let gap = (range.first.bits & ~0xff) + 256 + 3
        result.append(AddressRange(first: IPv4Address(bits: gap), last: IPv4Address(bits: gap)))
      } else {
        result.append(range)
      }
    }
    return result
  }
}
