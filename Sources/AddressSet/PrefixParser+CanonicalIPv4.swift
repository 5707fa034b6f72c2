extension PrefixParser {
  /// The common case read straight from bytes: `a.b.c.d` or `a.b.c.d/n` exactly as
  /// `description` writes it (no white space, no leading zeros, no host bits). Nil for anything
  /// else, which `parse` then reads with its full diagnostics. Lists of 100,000 entries are
  /// mostly this.
  public static func canonicalIPv4(_ bytes: UnsafeBufferPointer<UInt8>) -> IPv4Prefix? {
    var bits: UInt32 = 0
    var index = 0
    for octet in 0..<4 {
      guard let (value, next) = decimal(bytes, from: index, maximum: 255) else { return nil }
      bits = bits << 8 | UInt32(value)
      index = next
      if octet < 3 {
        guard index < bytes.count, bytes[index] == UInt8(ascii: ".") else { return nil }
        index += 1
      }
    }
    var length = 32
    if index < bytes.count {
      guard bytes[index] == UInt8(ascii: "/"),
        let (value, end) = decimal(bytes, from: index + 1, maximum: 32), end == bytes.count
      else { return nil }
      length = value
    }
    let prefix = IPv4Prefix(IPv4Address(bits: bits), length: length)
    return prefix.network.bits == bits ? prefix : nil
  }

  /// One to three digits from `start`, no leading zero, at most `maximum`; the value and the
  /// index after it.
  private static func decimal(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, maximum: Int)
    -> (Int, Int)?
  {
    var value = 0
    var index = start
    while index < bytes.count, index - start < 3, (0x30...0x39).contains(bytes[index]) {
      value = value * 10 + Int(bytes[index] - 0x30)
      index += 1
    }
    guard index > start, value <= maximum, index - start == 1 || bytes[start] != 0x30 else {
      return nil
    }
    return (value, index)
  }
}
