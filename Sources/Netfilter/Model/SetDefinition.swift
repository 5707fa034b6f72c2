import AddressSet

/// A named set of the table, without its elements.
public struct SetDefinition: Hashable, Sendable, Codable, CustomStringConvertible {
  public var name: String
  public var keyType: SetKeyType
  public var flags: SetFlags

  public init(name: String, keyType: SetKeyType, flags: SetFlags) {
    self.name = name
    self.keyType = keyType
    self.flags = flags
  }

  /// An interval set of addresses of one family, as origin-guard's allow-lists are.
  public static func addresses(_ family: AddressFamily, name: String) -> SetDefinition {
    SetDefinition(
      name: name, keyType: family == .ipv4 ? .ipv4Address : .ipv6Address, flags: .interval)
  }

  public var description: String { "set \(name) { type \(keyType); flags \(flags) }" }
}

/// An nftables data type as the kernel stores it: the type number nft uses, and the key length.
public struct SetKeyType: Hashable, Sendable, Codable, CustomStringConvertible {
  public var type: UInt32
  public var length: UInt32

  public init(type: UInt32, length: UInt32) {
    self.type = type
    self.length = length
  }

  public static let ipv4Address = SetKeyType(type: 7, length: 4)
  public static let ipv6Address = SetKeyType(type: 8, length: 16)
  public static let inetProtocol = SetKeyType(type: 12, length: 1)
  public static let inetService = SetKeyType(type: 13, length: 2)

  /// The address family of an address key, nil for any other key.
  public var addressFamily: AddressFamily? {
    switch self {
    case .ipv4Address: .ipv4
    case .ipv6Address: .ipv6
    default: nil
    }
  }

  public var description: String {
    switch self {
    case .ipv4Address: "ipv4_addr"
    case .ipv6Address: "ipv6_addr"
    case .inetProtocol: "inet_proto"
    case .inetService: "inet_service"
    default: "type \(type) length \(length)"
    }
  }
}

/// `NFT_SET_*` flags.
public struct SetFlags: OptionSet, Hashable, Sendable, Codable, CustomStringConvertible {
  public var rawValue: UInt32
  public init(rawValue: UInt32) { self.rawValue = rawValue }

  public static let anonymous = SetFlags(rawValue: 0x1)
  public static let constant = SetFlags(rawValue: 0x2)
  public static let interval = SetFlags(rawValue: 0x4)
  public static let map = SetFlags(rawValue: 0x8)
  public static let timeout = SetFlags(rawValue: 0x10)

  public var description: String {
    let names: [(SetFlags, String)] = [
      (.anonymous, "anonymous"), (.constant, "constant"), (.interval, "interval"), (.map, "map"),
      (.timeout, "timeout"),
    ]
    var parts = names.filter { contains($0.0) }.map(\.1)
    let known = names.reduce(SetFlags()) { $0.union($1.0) }
    if !subtracting(known).isEmpty {
      parts.append("0x" + String(subtracting(known).rawValue, radix: 16))
    }
    return parts.isEmpty ? "none" : parts.joined(separator: ",")
  }
}
