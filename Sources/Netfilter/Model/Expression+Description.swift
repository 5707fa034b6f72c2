import AddressSet

// Close to `nft --debug=netlink` output: enough for an operator to recognise a rule in a drift
// report, without pretending to be nft's full pretty-printer.
extension Expression: CustomStringConvertible {
  public var description: String {
    switch self {
    case .meta(let key): "meta \(key)"
    case .payload(let base, let offset, let length): "payload \(base) +\(offset) len \(length)"
    case .conntrack(let key): key == .state ? "ct state" : "ct key \(key.rawValue)"
    case .fib(let query):
      query == .destinationAddressType
        ? "fib daddr type" : "fib flags 0x\(String(query.flags, radix: 16)) result \(query.result)"
    case .bitwise(let mask, let xor): "& 0x\(hex(mask)) ^ 0x\(hex(xor))"
    case .compare(let op, let data):
      "\(op == .equal ? "==" : op == .notEqual ? "!=" : "cmp \(op.rawValue)") \(show(data))"
    case .lookup(.named(let name)): "@\(name)"
    case .lookup(.anonymous(let type, let keys)):
      "{ "
        + keys.map { type == .inetService ? String(bigEndian($0)) : show($0) }.joined(
          separator: ", ") + " }"
    case .counter: "counter"
    case .limit(let limit):
      "limit rate \(limit.inverted ? "over " : "")\(limit.rate)\(limit.countsBytes ? " bytes" : "")/\(period(limit.periodSeconds)) burst \(limit.burst)"
    case .log(let prefix): "log prefix \(String(reflecting: prefix))"
    case .verdict(let verdict): verdict.description
    case .unrecognized(let summary): "[\(summary)]"
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

/// Shows comparison data the way it reads best: text for interface names, addresses for 4 and
/// 16 bytes, a number for 1 byte, hex otherwise.
private func show(_ data: [UInt8]) -> String {
  if data.count == 16, let end = data.firstIndex(of: 0), end > 0,
    data[..<end].allSatisfy({ (0x21...0x7e).contains($0) }), data[end...].allSatisfy({ $0 == 0 })
  {
    return String(reflecting: String(decoding: data[..<end], as: UTF8.self))
  }
  switch data.count {
  case 1: return String(data[0])
  case 16: return IPv6Address(bits: data.reduce(UInt128(0)) { $0 << 8 | UInt128($1) }).description
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
