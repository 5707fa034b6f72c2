import CNetfilter

/// Turns the expressions of a rule dumped by the kernel into `Expression` values. Whatever
/// origin-guard would not have written that way (another register, an inverted lookup, a
/// log group…) becomes `.unrecognized` with libnftnl's own description, so it shows as drift.
struct ExpressionDecoder {
  /// The anonymous sets of the table by kernel name (`__set0`), with their keys.
  let anonymousSets: [String: SetReference]

  /// The rule's expressions and the values of its counter, if it has one.
  func decode(rule: OpaquePointer) -> (expressions: [Expression], counter: Counter?) {
    var expressions: [Expression] = []
    var counter: Counter?
    guard let iterator = nftnl_expr_iter_create(rule) else { return ([], nil) }
    defer { nftnl_expr_iter_destroy(iterator) }
    while let expression = nftnl_expr_iter_next(iterator) {
      let raw = RawExpression(pointer: expression)
      if raw.name == "counter" {
        counter = Counter(
          packets: nftnl_expr_get_u64(expression, attribute(NFTNL_EXPR_CTR_PACKETS)),
          bytes: nftnl_expr_get_u64(expression, attribute(NFTNL_EXPR_CTR_BYTES)))
      }
      expressions.append(decode(raw) ?? .unrecognized(summary: raw.summary))
    }
    return (expressions, counter)
  }

  private func decode(_ e: RawExpression) -> Expression? {
    let register = ExpressionEncoder.register
    switch e.name {
    case "meta":
      guard e.u32(NFTNL_EXPR_META_DREG) == register, let key = e.u32(NFTNL_EXPR_META_KEY) else {
        return nil
      }
      return .meta(MetaKey(rawValue: key))
    case "payload":
      guard e.u32(NFTNL_EXPR_PAYLOAD_DREG) == register, let base = e.u32(NFTNL_EXPR_PAYLOAD_BASE),
        let offset = e.u32(NFTNL_EXPR_PAYLOAD_OFFSET), let length = e.u32(NFTNL_EXPR_PAYLOAD_LEN)
      else { return nil }
      return .payload(PayloadBase(rawValue: base), offset: offset, length: length)
    case "ct":
      guard e.u32(NFTNL_EXPR_CT_DREG) == register, !e.isSet(NFTNL_EXPR_CT_DIR),
        let key = e.u32(NFTNL_EXPR_CT_KEY)
      else { return nil }
      return .conntrack(ConntrackKey(rawValue: key))
    case "fib":
      guard e.u32(NFTNL_EXPR_FIB_DREG) == register, let result = e.u32(NFTNL_EXPR_FIB_RESULT) else {
        return nil
      }
      return .fib(FibQuery(flags: e.u32(NFTNL_EXPR_FIB_FLAGS) ?? 0, result: result))
    case "bitwise":
      guard e.u32(NFTNL_EXPR_BITWISE_SREG) == register, e.u32(NFTNL_EXPR_BITWISE_DREG) == register,
        (e.u32(NFTNL_EXPR_BITWISE_OP) ?? 0) == 0,  // NFT_BITWISE_BOOL: mask and xor
        let mask = e.bytes(NFTNL_EXPR_BITWISE_MASK), let xor = e.bytes(NFTNL_EXPR_BITWISE_XOR)
      else { return nil }
      return .bitwise(mask: mask, xor: xor)
    case "cmp":
      guard e.u32(NFTNL_EXPR_CMP_SREG) == register, let op = e.u32(NFTNL_EXPR_CMP_OP),
        let data = e.bytes(NFTNL_EXPR_CMP_DATA)
      else { return nil }
      return .compare(CompareOperator(rawValue: op), data: data)
    case "lookup":
      guard e.u32(NFTNL_EXPR_LOOKUP_SREG) == register, !e.isSet(NFTNL_EXPR_LOOKUP_DREG),
        (e.u32(NFTNL_EXPR_LOOKUP_FLAGS) ?? 0) == 0, let name = e.string(NFTNL_EXPR_LOOKUP_SET)
      else { return nil }
      return .lookup(anonymousSets[name] ?? .named(name))
    case "counter":
      return .counter
    case "limit":
      guard let rate = e.u64(NFTNL_EXPR_LIMIT_RATE), let unit = e.u64(NFTNL_EXPR_LIMIT_UNIT) else {
        return nil
      }
      let flags = e.u32(NFTNL_EXPR_LIMIT_FLAGS) ?? 0
      return .limit(
        RateLimit(
          rate: rate, periodSeconds: unit, burst: e.u32(NFTNL_EXPR_LIMIT_BURST) ?? 0,
          countsBytes: e.u32(NFTNL_EXPR_LIMIT_TYPE) == UInt32(NFT_LIMIT_PKT_BYTES.rawValue),
          inverted: flags & UInt32(NFT_LIMIT_F_INV.rawValue) != 0))
    case "log":
      // The kernel reports the default level (4, warning) even when none was set.
      guard !e.isSet(NFTNL_EXPR_LOG_GROUP), (e.u32(NFTNL_EXPR_LOG_LEVEL) ?? 4) == 4,
        (e.u32(NFTNL_EXPR_LOG_FLAGS) ?? 0) == 0
      else { return nil }
      return .log(prefix: e.string(NFTNL_EXPR_LOG_PREFIX) ?? "")
    case "immediate":
      guard e.u32(NFTNL_EXPR_IMM_DREG) == ExpressionEncoder.verdictRegister,
        let code = e.u32(NFTNL_EXPR_IMM_VERDICT)
      else { return nil }
      return .verdict(Verdict(code: Int32(bitPattern: code), chain: e.string(NFTNL_EXPR_IMM_CHAIN)))
    default:
      return nil
    }
  }
}

/// Typed access to a libnftnl expression's optional attributes.
private struct RawExpression {
  let pointer: OpaquePointer

  var name: String {
    nftnl_expr_get_str(pointer, attribute(NFTNL_EXPR_NAME)).map { String(cString: $0) } ?? "?"
  }

  func isSet(_ type: Int) -> Bool { nftnl_expr_is_set(pointer, attribute(type)) }

  func u32(_ type: Int) -> UInt32? {
    isSet(type) ? nftnl_expr_get_u32(pointer, attribute(type)) : nil
  }
  func u64(_ type: Int) -> UInt64? {
    isSet(type) ? nftnl_expr_get_u64(pointer, attribute(type)) : nil
  }

  func string(_ type: Int) -> String? {
    isSet(type) ? nftnl_expr_get_str(pointer, attribute(type)).map { String(cString: $0) } : nil
  }

  func bytes(_ type: Int) -> [UInt8]? {
    guard isSet(type) else { return nil }
    var length: UInt32 = 0
    guard let data = nftnl_expr_get(pointer, attribute(type), &length) else { return nil }
    return Array(UnsafeRawBufferPointer(start: data, count: Int(length)))
  }

  /// libnftnl's one-line description, e.g. `[ meta load l4proto => reg 1 ]` minus brackets.
  var summary: String {
    var buffer = [CChar](repeating: 0, count: 512)
    let written = nftnl_expr_snprintf(&buffer, buffer.count, pointer, 0, 0)
    let detail =
      written > 0 ? buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) } : ""
    return "\(name) \(detail)".trimmingCharacters(in: " ")
  }
}

extension String {
  fileprivate func trimmingCharacters(in character: Character) -> String {
    String(drop { $0 == character }.reversed().drop { $0 == character }.reversed())
  }
}
