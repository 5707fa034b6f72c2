import CNetfilter

/// Turns `Expression` values into libnftnl expressions, register 1 for every load and test
/// (register 0 holds the verdict).
enum ExpressionEncoder {
  static let register: UInt32 = 1  // NFT_REG_1
  static let verdictRegister: UInt32 = 0  // NFT_REG_VERDICT

  /// Appends the expressions to the rule. `anonymousSetID` gives the batch-local id of the
  /// anonymous set created for a `.lookup(.anonymous)` at that index of `expressions`.
  static func add(
    _ expressions: [Expression], to rule: OpaquePointer, anonymousSetID: [Int: UInt32]
  ) {
    for (index, expression) in expressions.enumerated() {
      guard let made = make(expression, anonymousSetID: anonymousSetID[index]) else { continue }
      nftnl_rule_add_expr(rule, made)  // the rule owns it from here
    }
  }

  private static func make(_ expression: Expression, anonymousSetID: UInt32?) -> OpaquePointer? {
    switch expression {
    case .meta(let key):
      return build("meta") { e in
        set(e, NFTNL_EXPR_META_KEY, key.rawValue)
        set(e, NFTNL_EXPR_META_DREG, register)
      }
    case .payload(let base, let offset, let length):
      return build("payload") { e in
        set(e, NFTNL_EXPR_PAYLOAD_DREG, register)
        set(e, NFTNL_EXPR_PAYLOAD_BASE, base.rawValue)
        set(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset)
        set(e, NFTNL_EXPR_PAYLOAD_LEN, length)
      }
    case .conntrack(let key):
      return build("ct") { e in
        set(e, NFTNL_EXPR_CT_KEY, key.rawValue)
        set(e, NFTNL_EXPR_CT_DREG, register)
      }
    case .fib(let query):
      return build("fib") { e in
        set(e, NFTNL_EXPR_FIB_DREG, register)
        set(e, NFTNL_EXPR_FIB_RESULT, query.result)
        set(e, NFTNL_EXPR_FIB_FLAGS, query.flags)
      }
    case .bitwise(let mask, let xor):
      return build("bitwise") { e in
        set(e, NFTNL_EXPR_BITWISE_SREG, register)
        set(e, NFTNL_EXPR_BITWISE_DREG, register)
        set(e, NFTNL_EXPR_BITWISE_LEN, UInt32(mask.count))
        setBytes(e, NFTNL_EXPR_BITWISE_MASK, mask)
        setBytes(e, NFTNL_EXPR_BITWISE_XOR, xor)
      }
    case .compare(let op, let data):
      return build("cmp") { e in
        set(e, NFTNL_EXPR_CMP_SREG, register)
        set(e, NFTNL_EXPR_CMP_OP, op.rawValue)
        setBytes(e, NFTNL_EXPR_CMP_DATA, data)
      }
    case .lookup(let reference):
      return build("lookup") { e in
        set(e, NFTNL_EXPR_LOOKUP_SREG, register)
        switch reference {
        case .named(let name):
          nftnl_expr_set_str(e, attribute(NFTNL_EXPR_LOOKUP_SET), name)
        case .anonymous:
          nftnl_expr_set_str(e, attribute(NFTNL_EXPR_LOOKUP_SET), AnonymousSet.namePattern)
          set(e, NFTNL_EXPR_LOOKUP_SET_ID, anonymousSetID ?? 0)
        }
      }
    case .counter:
      return build("counter") { _ in }
    case .limit(let limit):
      return build("limit") { e in
        nftnl_expr_set_u64(e, attribute(NFTNL_EXPR_LIMIT_RATE), limit.rate)
        nftnl_expr_set_u64(e, attribute(NFTNL_EXPR_LIMIT_UNIT), limit.periodSeconds)
        set(e, NFTNL_EXPR_LIMIT_BURST, limit.burst)
        set(
          e, NFTNL_EXPR_LIMIT_TYPE,
          limit.countsBytes ? UInt32(NFT_LIMIT_PKT_BYTES.rawValue) : UInt32(NFT_LIMIT_PKTS.rawValue)
        )
        set(e, NFTNL_EXPR_LIMIT_FLAGS, limit.inverted ? UInt32(NFT_LIMIT_F_INV.rawValue) : 0)
      }
    case .log(let prefix):
      return build("log") { e in nftnl_expr_set_str(e, attribute(NFTNL_EXPR_LOG_PREFIX), prefix) }
    case .verdict(let verdict):
      return build("immediate") { e in
        set(e, NFTNL_EXPR_IMM_DREG, verdictRegister)
        set(e, NFTNL_EXPR_IMM_VERDICT, UInt32(bitPattern: verdict.code))
        if let chain = verdict.chain {
          nftnl_expr_set_str(e, attribute(NFTNL_EXPR_IMM_CHAIN), chain)
        }
      }
    case .unrecognized:
      // Only ever read back from the kernel; there is nothing origin-guard could write for it.
      preconditionFailure("an unrecognized expression cannot be written to the kernel")
    }
  }

  private static func build(_ name: String, _ configure: (OpaquePointer) -> Void) -> OpaquePointer {
    guard let expression = nftnl_expr_alloc(name) else {
      fatalError("out of memory for an nftnl expression")
    }
    configure(expression)
    return expression
  }

  private static func set(_ expression: OpaquePointer, _ type: Int, _ value: UInt32) {
    nftnl_expr_set_u32(expression, attribute(type), value)
  }

  private static func setBytes(_ expression: OpaquePointer, _ type: Int, _ bytes: [UInt8]) {
    bytes.withUnsafeBytes {
      _ = nftnl_expr_set(expression, attribute(type), $0.baseAddress, UInt32($0.count))
    }
  }
}

extension Verdict {
  /// The kernel's verdict code (`NF_ACCEPT`, `NF_DROP`, `NFT_JUMP`, …).
  var code: Int32 {
    switch self {
    case .accept: 1
    case .drop: 0
    case .continue: -1
    case .jump: -3
    case .goto: -4
    case .return: -5
    case .other(let code): code
    }
  }

  var chain: String? {
    switch self {
    case .jump(let chain), .goto(let chain): chain
    default: nil
    }
  }

  init(code: Int32, chain: String?) {
    switch (code, chain) {
    case (1, _): self = .accept
    case (0, _): self = .drop
    case (-1, _): self = .continue
    case (-3, let chain?): self = .jump(chain)
    case (-4, let chain?): self = .goto(chain)
    case (-5, _): self = .return
    default: self = .other(code)
    }
  }
}
