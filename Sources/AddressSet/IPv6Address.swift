/// An IPv6 address.
public struct IPv6Address: IPAddress {
  public static let family = AddressFamily.ipv6
  public let bits: UInt128

  @inlinable public init(bits: UInt128) { self.bits = bits }

  /// Builds an address from its eight 16-bit groups, most significant first.
  public init(groups: [UInt16]) {
    precondition(groups.count == 8, "an IPv6 address has eight groups")
    bits = groups.reduce(UInt128(0)) { $0 << 16 | UInt128($1) }
  }

  /// Parses any standard notation; nil for anything else. Use `PrefixParser` for diagnostics.
  public init?(_ text: String) {
    guard let parsed = try? PrefixParser.parseAddress(text, mapIPv4: false),
      case .v6(let address) = parsed
    else { return nil }
    self = address
  }

  /// The eight 16-bit groups, most significant first.
  public var groups: [UInt16] {
    (0..<8).map { UInt16(truncatingIfNeeded: bits >> (112 - 16 * $0)) }
  }

  /// The IPv4 address embedded in an IPv4-mapped address (`::ffff:a.b.c.d`), if this is one.
  public var mappedIPv4: IPv4Address? {
    bits >> 32 == 0xffff ? IPv4Address(bits: UInt32(truncatingIfNeeded: bits)) : nil
  }

  /// RFC 5952 text: lower case, the longest run of two or more zero groups compressed
  /// (the first on a tie), IPv4-mapped addresses with a dotted tail.
  public var description: String {
    if let v4 = mappedIPv4 { return "::ffff:\(v4)" }
    let groups = self.groups
    var bestStart = -1
    var bestLength = 0
    var index = 0
    while index < 8 {
      guard groups[index] == 0 else {
        index += 1
        continue
      }
      let start = index
      while index < 8 && groups[index] == 0 { index += 1 }
      if index - start > bestLength && index - start >= 2 {
        bestStart = start
        bestLength = index - start
      }
    }
    func hex(_ range: Range<Int>) -> String {
      groups[range].map { String($0, radix: 16) }.joined(separator: ":")
    }
    guard bestStart >= 0 else { return hex(0..<8) }
    return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
  }
}
