/// A contiguous run of addresses, `first ... last`, both included. Storing the last address
/// rather than the one after it keeps the top of the space (255.255.255.255) representable.
public struct AddressRange<Address: IPAddress>: Hashable, Sendable, CustomStringConvertible {
  public let first: Address
  public let last: Address

  @inlinable public init(first: Address, last: Address) {
    precondition(first <= last, "an address range must not end before it starts")
    self.first = first
    self.last = last
  }

  /// The half-open range `start ..< end`; a nil `end` means "up to the top of the address space".
  /// Returns nil when `end` is not after `start`.
  public init?(start: Address, end: Address?) {
    guard let end else {
      self.init(first: start, last: .max)
      return
    }
    guard start < end, let last = end.predecessor else { return nil }
    self.init(first: start, last: last)
  }

  public init(_ prefix: IPPrefix<Address>) {
    self = prefix.range
  }

  /// The first address after the range, or nil when the range reaches the top of the space.
  /// This is exactly where nftables puts an interval's end element.
  @inlinable public var end: Address? { last.successor }

  @inlinable public func contains(_ address: Address) -> Bool {
    first <= address && address <= last
  }

  @inlinable public var addressCount: AddressCount {
    AddressCount(span: UInt128(last.bits - first.bits))
  }

  /// The fewest CIDR prefixes that cover exactly this range, in ascending order.
  @inlinable public var prefixes: [IPPrefix<Address>] {
    var result: [IPPrefix<Address>] = []
    forEachPrefix { result.append($0) }
    return result
  }

  /// `prefixes.count`, without building the array.
  @inlinable public var prefixCount: Int {
    var count = 0
    forEachPrefix { _ in count += 1 }
    return count
  }

  /// Calls `body` with each of `prefixes`, in ascending order.
  @inlinable public func forEachPrefix(_ body: (IPPrefix<Address>) -> Void) {
    var cursor = first.bits
    let width = Address.bitWidth
    while true {
      let remainingSpan = last.bits - cursor  // block sizes up to remainingSpan + 1 fit
      let alignment = cursor == 0 ? width : cursor.trailingZeroBitCount
      let fitting =
        remainingSpan == Address.Bits.max
        ? width : width - 1 - (remainingSpan &+ 1).leadingZeroBitCount
      let blockBits = Swift.min(alignment, fitting)
      body(IPPrefix(Address(bits: cursor), length: width - blockBits))
      guard blockBits < width else { break }
      let (next, overflow) = cursor.addingReportingOverflow(Address.Bits(1) << blockBits)
      if overflow || next > last.bits || next == 0 { break }
      cursor = next
    }
  }

  public var description: String {
    first == last ? first.description : "\(first)-\(last)"
  }
}
