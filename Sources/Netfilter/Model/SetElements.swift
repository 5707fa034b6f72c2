import AddressSet

/// The ranges of an address set, of the set's family.
public enum SetElements: Hashable, Sendable, CustomStringConvertible {
  case ipv4([AddressRange<IPv4Address>])
  case ipv6([AddressRange<IPv6Address>])

  public static func empty(_ family: AddressFamily) -> SetElements {
    family == .ipv4 ? .ipv4([]) : .ipv6([])
  }

  public var family: AddressFamily {
    switch self {
    case .ipv4: .ipv4
    case .ipv6: .ipv6
    }
  }

  public var count: Int {
    switch self {
    case .ipv4(let ranges): ranges.count
    case .ipv6(let ranges): ranges.count
    }
  }

  public var isEmpty: Bool { count == 0 }

  public var ipv4Ranges: [AddressRange<IPv4Address>]? {
    if case .ipv4(let ranges) = self { ranges } else { nil }
  }

  public var ipv6Ranges: [AddressRange<IPv6Address>]? {
    if case .ipv6(let ranges) = self { ranges } else { nil }
  }

  public var description: String {
    switch self {
    case .ipv4(let ranges): ranges.map(\.description).joined(separator: ", ")
    case .ipv6(let ranges): ranges.map(\.description).joined(separator: ", ")
    }
  }
}

extension IPAddress {
  /// Wraps ranges of this family as `SetElements`. Checks the type, then reinterprets the
  /// array: an `as?` cast of an array would test every element, which shows at a million.
  static func elements(_ ranges: [AddressRange<Self>]) -> SetElements {
    if Self.self == IPv4Address.self {
      return .ipv4(unsafeBitCast(ranges, to: [AddressRange<IPv4Address>].self))
    }
    if Self.self == IPv6Address.self {
      return .ipv6(unsafeBitCast(ranges, to: [AddressRange<IPv6Address>].self))
    }
    preconditionFailure("nftables address sets hold IPv4Address or IPv6Address, not \(Self.self)")
  }
}
