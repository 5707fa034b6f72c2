/// A prefix of either family, as it comes out of the parser.
public enum AnyIPPrefix: Hashable, Sendable, CustomStringConvertible {
  case v4(IPv4Prefix)
  case v6(IPv6Prefix)

  public var family: AddressFamily {
    switch self {
    case .v4: .ipv4
    case .v6: .ipv6
    }
  }

  public var length: Int {
    switch self {
    case .v4(let prefix): prefix.length
    case .v6(let prefix): prefix.length
    }
  }

  public var description: String {
    switch self {
    case .v4(let prefix): prefix.description
    case .v6(let prefix): prefix.description
    }
  }
}

/// An address of either family.
public enum AnyIPAddress: Hashable, Sendable, CustomStringConvertible {
  case v4(IPv4Address)
  case v6(IPv6Address)

  public var family: AddressFamily {
    switch self {
    case .v4: .ipv4
    case .v6: .ipv6
    }
  }

  public var description: String {
    switch self {
    case .v4(let address): address.description
    case .v6(let address): address.description
    }
  }
}
