/// A CIDR prefix: a network address with its host bits clear and a length.
public struct IPPrefix<Address: IPAddress>: Hashable, Sendable, CustomStringConvertible {
  public let network: Address
  public let length: Int

  /// Builds a prefix, clearing host bits of `address`. `length` must be within 0 ... bit width.
  @inlinable public init(_ address: Address, length: Int) {
    precondition((0...Address.bitWidth).contains(length), "prefix length out of range")
    self.network = Address(bits: address.bits & Address.mask(length: length))
    self.length = length
  }

  /// A single-address prefix (/32 or /128).
  public init(host: Address) {
    self.init(host, length: Address.bitWidth)
  }

  /// The last address the prefix covers.
  @inlinable public var lastAddress: Address {
    Address(bits: network.bits | ~Address.mask(length: length))
  }

  @inlinable public var range: AddressRange<Address> {
    AddressRange(first: network, last: lastAddress)
  }

  @inlinable public func contains(_ address: Address) -> Bool {
    address.bits & Address.mask(length: length) == network.bits
  }

  public var description: String {
    var text = network.description
    text.append("/")
    text.append(String(length))
    return text
  }
}

public typealias IPv4Prefix = IPPrefix<IPv4Address>
public typealias IPv6Prefix = IPPrefix<IPv6Address>
