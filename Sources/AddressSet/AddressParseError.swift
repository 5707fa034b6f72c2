/// Why a piece of text is not an address or prefix, and where: enough for an operator to find
/// the typo in a list of thousands.
public struct AddressParseError: Error, Hashable, Sendable, CustomStringConvertible {
  public enum Reason: Hashable, Sendable, CustomStringConvertible {
    case empty
    case unexpectedCharacter(Character)
    case octetOutOfRange(Int)
    case leadingZero
    case wrongOctetCount(Int)
    case emptyOctet
    case emptyGroup
    case groupTooLong
    case wrongGroupCount(Int)
    case multipleDoubleColons
    case misplacedIPv4Part
    case zoneIdentifier
    case missingPrefixLength
    case prefixLengthOutOfRange(Int, maximum: Int)

    public var description: String {
      switch self {
      case .empty: "empty input"
      case .unexpectedCharacter(let c): "unexpected character \(String(reflecting: String(c)))"
      case .octetOutOfRange(let value): "octet \(value) is greater than 255"
      case .leadingZero: "leading zero in a number (ambiguous: octal or decimal?)"
      case .wrongOctetCount(let count): "an IPv4 address has 4 octets, found \(count)"
      case .emptyOctet: "empty octet"
      case .emptyGroup: "empty group (a single ':' where a group or '::' belongs)"
      case .groupTooLong: "an IPv6 group has at most 4 hex digits"
      case .wrongGroupCount(let count): "an IPv6 address has 8 groups, found \(count)"
      case .multipleDoubleColons: "'::' may appear only once"
      case .misplacedIPv4Part:
        "a dotted IPv4 part is allowed only as the last 32 bits of an IPv6 address"
      case .zoneIdentifier:
        "zone identifiers ('%eth0') are link-local scoped and cannot be matched by a firewall set"
      case .missingPrefixLength: "missing prefix length after '/'"
      case .prefixLengthOutOfRange(let length, let maximum):
        "prefix length \(length) is outside 0...\(maximum)"
      }
    }
  }

  /// The text as given, before trimming.
  public let input: String
  /// 1-based character position in `input` where the problem starts.
  public let column: Int
  public let reason: Reason

  public init(input: String, column: Int, reason: Reason) {
    self.input = input
    self.column = column
    self.reason = reason
  }

  public var description: String {
    "invalid address \(MessageLimit.quote(input)) at column \(column): \(reason)"
  }
}
