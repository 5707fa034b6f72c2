/// Decimal digits written straight into a buffer, for the address formatters.
enum DecimalText {
  /// Writes `value` (0 ... 999: an octet) at `offset`; returns the number of bytes written.
  static func write(_ value: Int, into buffer: UnsafeMutableBufferPointer<UInt8>, at offset: Int)
    -> Int
  {
    let zero = UInt8(ascii: "0")
    if value >= 100 {
      buffer[offset] = zero + UInt8(value / 100)
      buffer[offset + 1] = zero + UInt8(value / 10 % 10)
      buffer[offset + 2] = zero + UInt8(value % 10)
      return 3
    }
    if value >= 10 {
      buffer[offset] = zero + UInt8(value / 10)
      buffer[offset + 1] = zero + UInt8(value % 10)
      return 2
    }
    buffer[offset] = zero + UInt8(value)
    return 1
  }
}
