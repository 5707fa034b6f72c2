// The small vocabularies expressions are built from. Each is a raw kernel number with names for
// the values origin-guard uses, so that values the kernel reports but we never write still
// round-trip (and show up in drift reports) instead of failing to decode.

/// What a `meta` expression loads (`NFT_META_*`).
public struct MetaKey: RawRepresentable, Hashable, Sendable, Codable {
  public var rawValue: UInt32
  public init(rawValue: UInt32) { self.rawValue = rawValue }

  public static let inputInterfaceName = MetaKey(rawValue: 6)  // NFT_META_IIFNAME
  public static let networkProtocol = MetaKey(rawValue: 15)  // NFT_META_NFPROTO
  public static let transportProtocol = MetaKey(rawValue: 16)  // NFT_META_L4PROTO
}

/// The header a `payload` expression reads from (`NFT_PAYLOAD_*_HEADER`).
public struct PayloadBase: RawRepresentable, Hashable, Sendable, Codable {
  public var rawValue: UInt32
  public init(rawValue: UInt32) { self.rawValue = rawValue }

  public static let link = PayloadBase(rawValue: 0)
  public static let network = PayloadBase(rawValue: 1)
  public static let transport = PayloadBase(rawValue: 2)
}

/// What a `ct` expression loads (`NFT_CT_*`).
public struct ConntrackKey: RawRepresentable, Hashable, Sendable, Codable {
  public var rawValue: UInt32
  public init(rawValue: UInt32) { self.rawValue = rawValue }

  public static let state = ConntrackKey(rawValue: 0)  // NFT_CT_STATE
}

/// A routing lookup: which address to look up (`NFTA_FIB_F_*` flags) and what to return.
public struct FibQuery: Hashable, Sendable, Codable {
  public var flags: UInt32
  public var result: UInt32

  public init(flags: UInt32, result: UInt32) {
    self.flags = flags
    self.result = result
  }

  /// `fib daddr type`: the address type (RTN_*) of the destination address.
  public static let destinationAddressType = FibQuery(flags: 1 << 1, result: 3)
}

/// A comparison (`NFT_CMP_*`).
public struct CompareOperator: RawRepresentable, Hashable, Sendable, Codable {
  public var rawValue: UInt32
  public init(rawValue: UInt32) { self.rawValue = rawValue }

  public static let equal = CompareOperator(rawValue: 0)
  public static let notEqual = CompareOperator(rawValue: 1)
}

/// What happens to a packet when a rule ends with it.
public enum Verdict: Hashable, Sendable, Codable {
  case accept
  case drop
  case jump(String)
  case goto(String)
  case `return`
  case `continue`
  /// A verdict code origin-guard does not write.
  case other(Int32)
}
