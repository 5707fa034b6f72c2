import CNetfilter

// libnftnl's attribute numbers are C enums; its setters take them as UInt16.
@inline(__always) func attribute<T: RawRepresentable>(_ value: T) -> UInt16
where T.RawValue: BinaryInteger {
  UInt16(value.rawValue)
}

@inline(__always) func attribute(_ value: Int) -> UInt16 { UInt16(value) }

/// The message types and flags this layer sends.
enum NetlinkMessage {
  static let family = UInt16(NFPROTO_INET)

  static func type(_ command: nf_tables_msg_types) -> UInt16 { UInt16(command.rawValue) }

  static let request = UInt16(NLM_F_REQUEST)
  static let create = UInt16(NLM_F_CREATE)
  /// `create`, not `add`: fails with EEXIST on anything already there, so an addition that
  /// overlaps or repeats a stored range is caught instead of silently ignored.
  static let createExclusive = UInt16(NLM_F_CREATE | NLM_F_EXCL)
  static let append = UInt16(NLM_F_CREATE | NLM_F_APPEND)
  static let dump = UInt16(NLM_F_DUMP)
  static let acknowledge = UInt16(NLM_F_ACK)

  /// Room reserved for one message built by libnftnl (tables, chains, sets, rules).
  static let objectReserve = 64 << 10
}
