/// A number of addresses. Needs one bit more than an address: the whole IPv6 space holds 2^128.
public struct AddressCount: Hashable, Comparable, Sendable, CustomStringConvertible {
  /// Set only for exactly 2^128 (then `low` is zero).
  private let overflowBit: Bool
  private let low: UInt128

  public static let zero = AddressCount(overflowBit: false, low: 0)

  private init(overflowBit: Bool, low: UInt128) {
    self.overflowBit = overflowBit
    self.low = low
  }

  /// The number of addresses in `first ... last`, where the span is `last - first`.
  @usableFromInline init(span: UInt128) {
    let (sum, overflow) = span.addingReportingOverflow(1)
    self.init(overflowBit: overflow, low: sum)
  }

  public init(_ value: UInt128) {
    self.init(overflowBit: false, low: value)
  }

  public static func + (lhs: AddressCount, rhs: AddressCount) -> AddressCount {
    let (sum, overflow) = lhs.low.addingReportingOverflow(rhs.low)
    precondition(!(overflow && (lhs.overflowBit || rhs.overflowBit)), "more than 2^128 addresses")
    return AddressCount(overflowBit: overflow || lhs.overflowBit || rhs.overflowBit, low: sum)
  }

  public static func < (lhs: AddressCount, rhs: AddressCount) -> Bool {
    (lhs.overflowBit ? 1 : 0, lhs.low) < (rhs.overflowBit ? 1 : 0, rhs.low)
  }

  /// The count as a floating-point number, for metrics and percentages.
  public var approximateValue: Double {
    overflowBit ? 0x1p128 : Double(low)
  }

  /// The exact count, or nil for 2^128.
  public var exactValue: UInt128? { overflowBit ? nil : low }

  public var description: String {
    overflowBit ? "340282366920938463463374607431768211456" : String(low)
  }
}
