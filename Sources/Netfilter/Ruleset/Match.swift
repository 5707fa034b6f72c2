import AddressSet

/// The matches origin-guard's rules are made of, each as the expressions `nft` would generate.
enum Match {
  /// `meta l4proto tcp`, the form `tcp dport` starts with in an `inet` table.
  static func transportProtocol(_ transport: GuardRuleset.TransportProtocol) -> [Expression] {
    [.meta(.transportProtocol), .compare(.equal, data: [transport.rawValue])]
  }

  /// `th dport 443` or `th dport { 80, 443 }`: the destination port is at offset 2 of both the
  /// TCP and the UDP header. A single port is a comparison, as `nft` writes it.
  static func destinationPort(in ports: [UInt16]) -> [Expression] {
    let keys = Set(ports).sorted().map { [UInt8($0 >> 8), UInt8($0 & 0xff)] }
    let test: Expression =
      keys.count == 1
      ? .compare(.equal, data: keys[0]) : .lookup(.constant(keyType: .inetService, keys: keys))
    return [.payload(.transport, offset: 2, length: 2), test]
  }

  /// `fib daddr type local`: the packet is addressed to this host (RTN_LOCAL = 2, host order).
  static let localDestination: [Expression] = [
    .fib(.destinationAddressType), .compare(.equal, data: hostOrder(2)),
  ]

  /// `iifname "lo"`: interface names are compared as 16 zero-padded bytes.
  static func inputInterface(named name: String) -> [Expression] {
    var bytes = Array(name.utf8.prefix(15))
    bytes += [UInt8](repeating: 0, count: 16 - bytes.count)
    return [.meta(.inputInterfaceName), .compare(.equal, data: bytes)]
  }

  /// `ct state established,related`: the state is a bit mask, established = 2, related = 4.
  static let establishedOrRelated: [Expression] = [
    .conntrack(.state), .bitwise(mask: hostOrder(2 | 4), xor: hostOrder(0)),
    .compare(.notEqual, data: hostOrder(0)),
  ]

  /// `ip saddr @set` / `ip6 saddr @set`: in an `inet` table the family is checked first
  /// (NFPROTO_IPV4 = 2, NFPROTO_IPV6 = 10); the source address is at offset 12 (IPv4) or 8 (IPv6).
  static func sourceAddress(_ family: AddressFamily, inSet set: String) -> [Expression] {
    let (nfproto, offset, length): (UInt8, UInt32, UInt32) =
      family == .ipv4 ? (2, 12, 4) : (10, 8, 16)
    return [
      .meta(.networkProtocol), .compare(.equal, data: [nfproto]),
      .payload(.network, offset: offset, length: length), .lookup(.named(set)),
    ]
  }

  /// A 32-bit value in host byte order, as meta, ct and fib results are compared.
  static func hostOrder(_ value: UInt32) -> [UInt8] {
    withUnsafeBytes(of: value) { Array($0) }
  }
}
