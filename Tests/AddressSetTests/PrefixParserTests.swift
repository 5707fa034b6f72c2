import AddressSet
import Testing

@Suite("Parsing addresses and prefixes as operators paste them")
struct PrefixParserTests {
  struct Valid: CustomTestStringConvertible, Sendable {
    let input: String
    let prefix: String
    var notes: [String] = []
    var testDescription: String { String(reflecting: input) }
  }

  static let valid: [Valid] = [
    Valid(input: "192.0.2.1", prefix: "192.0.2.1/32"),
    Valid(input: "0.0.0.0", prefix: "0.0.0.0/32"),
    Valid(input: "255.255.255.255", prefix: "255.255.255.255/32"),
    Valid(input: "10.0.0.0/8", prefix: "10.0.0.0/8"),
    Valid(input: "0.0.0.0/0", prefix: "0.0.0.0/0"),
    Valid(input: "  198.51.100.0/24\t\r\n", prefix: "198.51.100.0/24"),
    Valid(
      input: "1.1.1.1/25", prefix: "1.1.1.0/25",
      notes: ["1.1.1.1/25 has host bits set; masked to its network"]),
    Valid(
      input: "1.1.1.200/25", prefix: "1.1.1.128/25",
      notes: ["1.1.1.200/25 has host bits set; masked to its network"]),
    Valid(input: "2001:db8::/32", prefix: "2001:db8::/32"),
    Valid(input: "2001:DB8::1", prefix: "2001:db8::1/128"),
    Valid(input: "2001:0db8:0000:0000:0000:0000:0000:0001", prefix: "2001:db8::1/128"),
    Valid(input: "::", prefix: "::/128"),
    Valid(input: "::/0", prefix: "::/0"),
    Valid(input: "::1", prefix: "::1/128"),
    Valid(input: "1::", prefix: "1::/128"),
    Valid(input: "1:2:3:4:5:6:7::", prefix: "1:2:3:4:5:6:7:0/128"),
    Valid(input: "::2:3:4:5:6:7:8", prefix: "0:2:3:4:5:6:7:8/128"),
    Valid(
      input: "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
      prefix: "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"),
    Valid(
      input: "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00/120",
      prefix: "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00/120"),
    Valid(input: "64:ff9b::192.0.2.33", prefix: "64:ff9b::c000:221/128"),
    Valid(
      input: "2408:4000:200::1/48", prefix: "2408:4000:200::/48",
      notes: ["2408:4000:200::1/48 has host bits set; masked to its network"]),
    Valid(
      input: "::ffff:192.0.2.1", prefix: "192.0.2.1/32",
      notes: ["::ffff:192.0.2.1 is IPv4-mapped; used as IPv4"]),
    Valid(
      input: "::FFFF:c000:0201", prefix: "192.0.2.1/32",
      notes: ["::FFFF:c000:0201 is IPv4-mapped; used as IPv4"]),
    Valid(
      input: "::ffff:198.51.100.0/120", prefix: "198.51.100.0/24",
      notes: ["::ffff:198.51.100.0/120 is IPv4-mapped; used as IPv4"]),
    // Broader than the mapped range: stays IPv6, there is no IPv4 equivalent.
    Valid(
      input: "::ffff:0.0.0.0/95", prefix: "::fffe:0:0/95",
      notes: ["::ffff:0.0.0.0/95 has host bits set; masked to its network"]),
  ]

  @Test(arguments: valid)
  func parsesValidInput(_ case_: Valid) throws {
    let parsed = try PrefixParser.parse(case_.input)
    #expect(parsed.prefix.description == case_.prefix)
    #expect(parsed.notes.map(\.description) == case_.notes)
  }

  struct Invalid: CustomTestStringConvertible, Sendable {
    let input: String
    let column: Int
    let reason: AddressParseError.Reason
    var testDescription: String { String(reflecting: input) }
  }

  static let invalid: [Invalid] = [
    Invalid(input: "", column: 1, reason: .empty),
    Invalid(input: "   ", column: 1, reason: .empty),
    Invalid(input: "10.0.0.256", column: 8, reason: .octetOutOfRange(256)),
    Invalid(input: "10.0.0.9999999999", column: 8, reason: .octetOutOfRange(10_000)),
    Invalid(input: "10.01.0.1", column: 4, reason: .leadingZero),
    Invalid(input: "010.0.0.1", column: 1, reason: .leadingZero),
    Invalid(input: "10.0.0", column: 7, reason: .wrongOctetCount(3)),
    Invalid(input: "10.0.0.0.1", column: 10, reason: .wrongOctetCount(5)),
    Invalid(input: "10..0.1", column: 4, reason: .emptyOctet),
    Invalid(input: "10.0.0.", column: 8, reason: .emptyOctet),
    Invalid(input: "10.0.0.1/33", column: 10, reason: .prefixLengthOutOfRange(33, maximum: 32)),
    Invalid(input: "10.0.0.0/", column: 10, reason: .missingPrefixLength),
    Invalid(input: "10.0.0.0/08", column: 10, reason: .leadingZero),
    Invalid(input: "10.0.0.0/-1", column: 10, reason: .unexpectedCharacter("-")),
    Invalid(input: "10.0.0.0/24/24", column: 12, reason: .unexpectedCharacter("/")),
    Invalid(
      input: "2001:db8::/129", column: 12, reason: .prefixLengthOutOfRange(129, maximum: 128)),
    Invalid(input: "fe80::1%eth0", column: 8, reason: .zoneIdentifier),
    Invalid(input: "1:2:3:4:5:6:7:8:9", column: 17, reason: .wrongGroupCount(9)),
    Invalid(input: "1:2:3:4:5:6:7", column: 14, reason: .wrongGroupCount(7)),
    Invalid(input: "1:2:3:4::5:6:7:8", column: 17, reason: .wrongGroupCount(8)),
    Invalid(input: "1::2::3", column: 5, reason: .multipleDoubleColons),
    Invalid(input: ":::", column: 3, reason: .emptyGroup),
    Invalid(input: ":1::", column: 1, reason: .emptyGroup),
    Invalid(input: "1:", column: 2, reason: .emptyGroup),
    Invalid(input: "12345::", column: 1, reason: .groupTooLong),
    Invalid(input: "2001:db8::g", column: 11, reason: .unexpectedCharacter("g")),
    Invalid(input: "::1.2.3.4:5", column: 10, reason: .misplacedIPv4Part),
    Invalid(input: "::1.2.3.256", column: 9, reason: .octetOutOfRange(256)),
    Invalid(input: "example.com", column: 1, reason: .unexpectedCharacter("e")),
    Invalid(input: "10.0.0.1 10.0.0.2", column: 9, reason: .unexpectedCharacter(" ")),
    Invalid(input: "１.2.3.4", column: 1, reason: .unexpectedCharacter("１")),
    Invalid(input: "10.0.0.0/24 # comment", column: 12, reason: .unexpectedCharacter(" ")),
  ]

  @Test(arguments: invalid)
  func rejectsInvalidInputNamingColumnAndReason(_ case_: Invalid) {
    #expect {
      _ = try PrefixParser.parse(case_.input)
    } throws: { error in
      let error = error as? AddressParseError
      return error?.input == case_.input && error?.column == case_.column
        && error?.reason == case_.reason
    }
  }

  @Test func errorMessageNamesInputColumnAndReason() {
    do {
      _ = try PrefixParser.parse("10.0.0.256/24")
      Issue.record("expected an error")
    } catch {
      #expect(
        error.description
          == #"invalid address "10.0.0.256/24" at column 8: octet 256 is greater than 255"#)
    }
  }

  @Test func parseAddressRejectsPrefixes() throws {
    #expect(throws: AddressParseError.self) { try PrefixParser.parseAddress("10.0.0.0/8") }
    #expect(try PrefixParser.parseAddress("::ffff:10.0.0.1") == .v4(IPv4Address(10, 0, 0, 1)))
    #expect(
      try PrefixParser.parseAddress("::ffff:10.0.0.1", mapIPv4: false)
        == .v6(IPv6Address("::ffff:a00:1")!))
  }

  @Test func describesIPv6InRFC5952Form() {
    let cases: [(String, String)] = [
      ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
      ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),
      ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
      ("0:0:0:0:0:0:0:0", "::"),
      ("::ffff:1.2.3.4", "::ffff:1.2.3.4"),
    ]
    for (input, expected) in cases {
      #expect(IPv6Address(input)?.description == expected)
    }
  }
}
