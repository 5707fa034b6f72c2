/// An address of one family, stored as an unsigned integer in host order so that ordering,
/// masking and "next address" are plain integer arithmetic.
public protocol IPAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
  associatedtype Bits: FixedWidthInteger & UnsignedInteger & Sendable

  static var family: AddressFamily { get }
  var bits: Bits { get }
  init(bits: Bits)

  /// Appends `description` as UTF-8, for writers of long lists that would otherwise build a
  /// `String` per address.
  func appendText(to bytes: inout [UInt8])
}

extension IPAddress {
  public func appendText(to bytes: inout [UInt8]) {
    bytes.append(contentsOf: description.utf8)
  }

  @inlinable public static var bitWidth: Int { Bits.bitWidth }
  @inlinable public static var zero: Self { Self(bits: 0) }
  @inlinable public static var max: Self { Self(bits: Bits.max) }

  @inlinable public static func < (lhs: Self, rhs: Self) -> Bool { lhs.bits < rhs.bits }

  /// The following address, or nil at the top of the address space.
  @inlinable public var successor: Self? {
    bits == Bits.max ? nil : Self(bits: bits &+ 1)
  }

  /// The preceding address, or nil at the bottom of the address space.
  @inlinable public var predecessor: Self? {
    bits == 0 ? nil : Self(bits: bits &- 1)
  }

  /// The network mask with `length` leading one bits (0 ... bitWidth).
  @inlinable static func mask(length: Int) -> Bits {
    length == 0 ? 0 : Bits.max << Bits(Bits.bitWidth - length)
  }
}
