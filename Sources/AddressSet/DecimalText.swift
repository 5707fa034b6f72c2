/// Decimal digits written straight into a buffer, for the address formatters.
enum DecimalText {
  /// Writes `value` (not negative) at `offset`; returns the number of bytes written.
  static func write(_ value: Int, into buffer: UnsafeMutableBufferPointer<UInt8>, at offset: Int)
    -> Int
  {
    var digits = 1
    var rest = value / 10
    while rest > 0 {
      digits += 1
      rest /= 10
    }
    var remaining = value
    for position in stride(from: offset + digits - 1, through: offset, by: -1) {
      buffer[position] = UInt8(ascii: "0") + UInt8(remaining % 10)
      remaining /= 10
    }
    return digits
  }
}
