import AddressSet

// Close to `nft --debug=netlink` output: enough for an operator to recognise a rule in a drift
// report, without pretending to be nft's full pretty-printer.
extension Expression: CustomStringConvertible {
  public var description: String { description(hostOrderRegister: false) }

  /// `hostOrderRegister`: the value being tested came from meta, ct or fib, which load numbers
  /// in host byte order; payload loads are in network byte order (addresses, ports).
  func description(hostOrderRegister: Bool) -> String {
    switch self {
    case .meta(let key): "meta \(key)"
    case .payload(let base, let offset, let length): "payload \(base) +\(offset) len \(length)"
    case .conntrack(let key): key == .state ? "ct state" : "ct key \(key.rawValue)"
    case .fib(let query):
      query == .destinationAddressType
        ? "fib daddr type" : "fib flags 0x\(String(query.flags, radix: 16)) result \(query.result)"
    case .bitwise(let mask, let xor):
      "& \(show(mask, hostOrder: hostOrderRegister)) ^ \(show(xor, hostOrder: hostOrderRegister))"
    case .compare(let op, let data):
      "\(op == .equal ? "==" : op == .notEqual ? "!=" : "cmp \(op.rawValue)") \(show(data, hostOrder: hostOrderRegister))"
    case .lookup(.named(let name)): "@\(name)"
    case .lookup(.anonymous(_, let keys)):
      "{ " + keys.map { show($0, hostOrder: false) }.joined(separator: ", ") + " }"
    case .counter: "counter"
    case .limit(let limit):
      "limit rate \(limit.inverted ? "over " : "")\(limit.rate)\(limit.countsBytes ? " bytes" : "")/\(period(limit.periodSeconds)) burst \(limit.burst)"
    case .log(let prefix): "log prefix \(String(reflecting: prefix))"
    case .verdict(let verdict): verdict.description
    case .unrecognized(let summary): "[\(summary)]"
    }
  }

  /// Whether this expression loads a value in host byte order (nil: it loads nothing).
  var loadsHostOrder: Bool? {
    switch self {
    case .meta, .conntrack, .fib: true
    case .payload: false
    default: nil
    }
  }
}

extension Rule {
  /// The expressions in order, each shown in the byte order of the value it tests.
  var expressionDescriptions: [String] {
    var hostOrder = false
    return expressions.map { expression in
      hostOrder = expression.loadsHostOrder ?? hostOrder
      return expression.description(hostOrderRegister: hostOrder)
    }
  }
}

extension Verdict: CustomStringConvertible {
  public var description: String {
    switch self {
    case .accept: "accept"
    case .drop: "drop"
    case .jump(let chain): "jump \(chain)"
    case .goto(let chain): "goto \(chain)"
    case .return: "return"
    case .continue: "continue"
    case .other(let code): "verdict \(code)"
    }
  }
}

extension MetaKey: CustomStringConvertible {
  public var description: String {
    switch self {
    case .inputInterfaceName: "iifname"
    case .networkProtocol: "nfproto"
    case .transportProtocol: "l4proto"
    default: "key \(rawValue)"
    }
  }
}

extension PayloadBase: CustomStringConvertible {
  public var description: String {
    switch self {
    case .link: "link"
    case .network: "network"
    case .transport: "transport"
    default: "base \(rawValue)"
    }
  }
}

private func hex(_ bytes: [UInt8]) -> String {
  bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}

private func bigEndian(_ bytes: [UInt8]) -> UInt64 {
  bytes.reduce(0) { $0 << 8 | UInt64($1) }
}

/// Shows data the way it reads best: text for interface names, numbers for 1-byte values and
/// for ports (2 bytes, network order), host-order values as hex, addresses for 4 and 16 bytes.
private func show(_ data: [UInt8], hostOrder: Bool) -> String {
  if data.count == 16, let end = data.firstIndex(of: 0), end > 0,
    data[..<end].allSatisfy({ (0x21...0x7e).contains($0) }), data[end...].allSatisfy({ $0 == 0 })
  {
    return String(reflecting: String(decoding: data[..<end], as: UTF8.self))
  }
  switch (data.count, hostOrder) {
  case (1, _): return String(data[0])
  case (2, false): return String(bigEndian(data))
  case (4, true):
    return "0x" + String(data.reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }, radix: 16)
  case (4, false): return IPv4Address(bits: UInt32(bigEndian(data))).description
  case (16, false):
    return IPv6Address(bits: data.reduce(UInt128(0)) { $0 << 8 | UInt128($1) }).description
  default: return "0x" + hex(data)
  }
}

private func period(_ seconds: UInt64) -> String {
  switch seconds {
  case 1: "second"
  case 60: "minute"
  case 3600: "hour"
  case 86400: "day"
  case 604800: "week"
  default: "\(seconds)s"
  }
}
