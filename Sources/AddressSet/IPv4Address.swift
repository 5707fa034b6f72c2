/// An IPv4 address.
public struct IPv4Address: IPAddress {
  public static let family = AddressFamily.ipv4
  public let bits: UInt32

  @inlinable public init(bits: UInt32) { self.bits = bits }

  public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
    bits = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
  }

  /// Parses a dotted quad; nil for anything else. Use `PrefixParser` for diagnostics.
  public init?(_ text: String) {
    guard let parsed = try? PrefixParser.parseAddress(text), case .v4(let address) = parsed else {
      return nil
    }
    self = address
  }

  /// The four octets in network order.
  public var octets: [UInt8] {
    [
      UInt8(truncatingIfNeeded: bits >> 24), UInt8(truncatingIfNeeded: bits >> 16),
      UInt8(truncatingIfNeeded: bits >> 8), UInt8(truncatingIfNeeded: bits),
    ]
  }

  /// Written byte by byte: lists of 100,000 prefixes are formatted several times per sync.
  public var description: String {
    String(unsafeUninitializedCapacity: 15) { buffer in
      writeText(into: buffer)
    }
  }

  public func appendText(to bytes: inout [UInt8]) {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 15) { buffer in
      bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[..<writeText(into: buffer)]))
    }
  }

  /// Writes the dotted quad at the start of `buffer` (15 bytes at most); returns its length.
  private func writeText(into buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
    var count = 0
    for shift in stride(from: 24, through: 0, by: -8) {
      if shift != 24 {
        buffer[count] = UInt8(ascii: ".")
        count += 1
      }
      count += DecimalText.write(
        Int(UInt8(truncatingIfNeeded: bits >> shift)), into: buffer, at: count)
    }
    return count
  }
}
