/// A parsed prefix with what the parser had to change to get it.
public struct ParsedPrefix: Hashable, Sendable {
  public enum Note: Hashable, Sendable, CustomStringConvertible {
    /// The address had host bits set (`1.1.1.1/25`) and was masked to its network.
    case hostBitsMasked(original: String)
    /// An IPv4-mapped IPv6 address or prefix (`::ffff:192.0.2.1`) was read as the IPv4 one.
    case ipv4MappedConverted(original: String)

    public var description: String {
      switch self {
      case .hostBitsMasked(let original): "\(original) has host bits set; masked to its network"
      case .ipv4MappedConverted(let original): "\(original) is IPv4-mapped; used as IPv4"
      }
    }
  }

  public let prefix: AnyIPPrefix
  public let notes: [Note]
}

/// Reads addresses and prefixes as operators paste them.
///
/// Accepted: dotted quads, IPv6 in full, compressed and mixed notation in any case, an optional
/// `/length`, surrounding white space. Rejected, with the column: octets over 255, leading zeros
/// (ambiguous, and `inet_pton` refuses them too), zone identifiers, anything else.
///
/// IPv4-mapped IPv6 (`::ffff:a.b.c.d`, prefix length at least 96) is converted to IPv4: a packet
/// from such a client reaches the firewall as IPv4, so an IPv6 set entry would never match.
public enum PrefixParser {
  public static func parse(_ text: String) throws(AddressParseError) -> ParsedPrefix {
    if let prefix = text.utf8.withContiguousStorageIfAvailable(canonicalIPv4) ?? nil {
      return ParsedPrefix(prefix: .v4(prefix), notes: [])
    }
    let scanner = Scanner(text: text)
    let (start, end) = try scanner.trimmed()
    let slash = scanner.bytes[start..<end].firstIndex(of: UInt8(ascii: "/"))
    let address = try scanner.address(start, slash ?? end)
    func length(maximum: Int) throws(AddressParseError) -> Int {
      guard let slash else { return maximum }
      return try scanner.prefixLength(slash, end, maximum: maximum)
    }
    // Only a note needs the text: building it for every entry of a long list is wasted work.
    var original: String { scanner.trimmedText(start, end) }
    var notes: [ParsedPrefix.Note] = []
    switch address {
    case .v4(let v4):
      let prefix = IPv4Prefix(v4, length: try length(maximum: 32))
      if prefix.network != v4 { notes.append(.hostBitsMasked(original: original)) }
      return ParsedPrefix(prefix: .v4(prefix), notes: notes)
    case .v6(let v6):
      let prefix = IPv6Prefix(v6, length: try length(maximum: 128))
      if prefix.network != v6 { notes.append(.hostBitsMasked(original: original)) }
      if prefix.length >= 96, let v4 = prefix.network.mappedIPv4 {
        notes.append(.ipv4MappedConverted(original: original))
        return ParsedPrefix(prefix: .v4(IPv4Prefix(v4, length: prefix.length - 96)), notes: notes)
      }
      return ParsedPrefix(prefix: .v6(prefix), notes: notes)
    }
  }

  /// Parses a single address (no `/length`).
  public static func parseAddress(_ text: String, mapIPv4: Bool = true) throws(AddressParseError)
    -> AnyIPAddress
  {
    let scanner = Scanner(text: text)
    let (start, end) = try scanner.trimmed()
    if let slash = scanner.bytes[start..<end].firstIndex(of: UInt8(ascii: "/")) {
      throw scanner.error(at: slash, .unexpectedCharacter("/"))
    }
    let address = try scanner.address(start, end)
    if mapIPv4, case .v6(let v6) = address, let v4 = v6.mappedIPv4 { return .v4(v4) }
    return address
  }
}

/// Byte-level scanning over UTF-8; columns are counted in characters for the error message.
private struct Scanner {
  let text: String
  let bytes: [UInt8]

  init(text: String) {
    self.text = text
    self.bytes = Array(text.utf8)
  }

  func error(at byteOffset: Int, _ reason: AddressParseError.Reason) -> AddressParseError {
    // Count characters, not bytes, so a stray non-ASCII character lands on the right column.
    let prefix = String(decoding: bytes[..<min(byteOffset, bytes.count)], as: UTF8.self)
    return AddressParseError(input: text, column: prefix.count + 1, reason: reason)
  }

  func unexpected(at offset: Int) -> AddressParseError {
    let rest = String(decoding: bytes[offset...], as: UTF8.self)
    return error(at: offset, .unexpectedCharacter(rest.first ?? "?"))
  }

  func trimmedText(_ start: Int, _ end: Int) -> String {
    String(decoding: bytes[start..<end], as: UTF8.self)
  }

  /// The bounds of the text without surrounding white space.
  func trimmed() throws(AddressParseError) -> (Int, Int) {
    func isSpace(_ b: UInt8) -> Bool {
      b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0B || b == 0x0C
    }
    var start = 0
    var end = bytes.count
    while start < end && isSpace(bytes[start]) { start += 1 }
    while end > start && isSpace(bytes[end - 1]) { end -= 1 }
    if start == end { throw error(at: 0, .empty) }
    return (start, end)
  }

  func address(_ start: Int, _ end: Int) throws(AddressParseError) -> AnyIPAddress {
    if start == end { throw error(at: start, .empty) }
    if let percent = bytes[start..<end].firstIndex(of: UInt8(ascii: "%")) {
      throw error(at: percent, .zoneIdentifier)
    }
    if bytes[start..<end].contains(UInt8(ascii: ":")) {
      return .v6(try ipv6(start, end))
    }
    return .v4(IPv4Address(bits: try ipv4(start, end)))
  }

  func prefixLength(_ slash: Int, _ end: Int, maximum: Int) throws(AddressParseError) -> Int {
    let start = slash + 1
    if start == end { throw error(at: start, .missingPrefixLength) }
    var value = 0
    for index in start..<end {
      guard let digit = decimalDigit(bytes[index]) else { throw unexpected(at: index) }
      if index == start + 1 && bytes[start] == UInt8(ascii: "0") {
        throw error(at: start, .leadingZero)
      }
      value = min(value * 10 + digit, 1000)
    }
    if value > maximum { throw error(at: start, .prefixLengthOutOfRange(value, maximum: maximum)) }
    return value
  }

  func ipv4(_ start: Int, _ end: Int) throws(AddressParseError) -> UInt32 {
    var result: UInt32 = 0
    var octets = 0
    var index = start
    while true {
      let octetStart = index
      var value = 0
      while index < end, let digit = decimalDigit(bytes[index]) {
        if index == octetStart + 1 && bytes[octetStart] == UInt8(ascii: "0") {
          throw error(at: octetStart, .leadingZero)
        }
        value = min(value * 10 + digit, 10_000)
        index += 1
      }
      if index == octetStart {
        if index < end && bytes[index] != UInt8(ascii: ".") { throw unexpected(at: index) }
        throw error(at: index, .emptyOctet)
      }
      if value > 255 { throw error(at: octetStart, .octetOutOfRange(value)) }
      octets += 1
      if octets > 4 { throw error(at: octetStart, .wrongOctetCount(octets)) }
      result = result << 8 | UInt32(value)
      if index == end { break }
      guard bytes[index] == UInt8(ascii: ".") else { throw unexpected(at: index) }
      index += 1
    }
    if octets != 4 { throw error(at: end, .wrongOctetCount(octets)) }
    return result
  }

  func ipv6(_ start: Int, _ end: Int) throws(AddressParseError) -> IPv6Address {
    var head: [UInt16] = []
    var tail: [UInt16] = []
    var compressed = false
    var index = start
    if bytes[index] == UInt8(ascii: ":") {
      guard index + 1 < end, bytes[index + 1] == UInt8(ascii: ":") else {
        throw error(at: index, .emptyGroup)
      }
      compressed = true
      index += 2
    }
    while index < end {
      var cursor = index
      var value: UInt32 = 0
      while cursor < end, let digit = hexDigit(bytes[cursor]) {
        value = (value << 4 | UInt32(digit)) & 0xFFFFF
        cursor += 1
      }
      if cursor < end && bytes[cursor] == UInt8(ascii: ".") {
        // The dotted IPv4 tail: last 32 bits, nothing may follow.
        if let colon = bytes[cursor..<end].firstIndex(of: UInt8(ascii: ":")) {
          throw error(at: colon, .misplacedIPv4Part)
        }
        let v4 = try ipv4(index, end)
        let groups = [UInt16(v4 >> 16), UInt16(v4 & 0xFFFF)]
        if compressed { tail += groups } else { head += groups }
        index = end
        break
      }
      if cursor == index {
        if cursor < end && bytes[cursor] != UInt8(ascii: ":") { throw unexpected(at: cursor) }
        throw error(at: cursor, .emptyGroup)
      }
      if cursor - index > 4 { throw error(at: index, .groupTooLong) }
      if head.count + tail.count == 8 { throw error(at: index, .wrongGroupCount(9)) }
      if compressed { tail.append(UInt16(value)) } else { head.append(UInt16(value)) }
      if cursor == end { break }
      guard bytes[cursor] == UInt8(ascii: ":") else { throw unexpected(at: cursor) }
      if cursor + 1 < end && bytes[cursor + 1] == UInt8(ascii: ":") {
        if compressed { throw error(at: cursor, .multipleDoubleColons) }
        compressed = true
        index = cursor + 2
      } else {
        index = cursor + 1
        if index == end { throw error(at: cursor, .emptyGroup) }
      }
    }
    let count = head.count + tail.count
    if compressed ? count > 7 : count != 8 { throw error(at: end, .wrongGroupCount(count)) }
    let zeros = [UInt16](repeating: 0, count: 8 - count)
    return IPv6Address(groups: head + zeros + tail)
  }
}

private func decimalDigit(_ byte: UInt8) -> Int? {
  (0x30...0x39).contains(byte) ? Int(byte - 0x30) : nil
}

private func hexDigit(_ byte: UInt8) -> UInt8? {
  switch byte {
  case 0x30...0x39: byte - 0x30
  case 0x41...0x46: byte - 0x41 + 10
  case 0x61...0x66: byte - 0x61 + 10
  default: nil
  }
}
