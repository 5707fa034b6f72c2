/// A set of addresses of one family in canonical form: sorted ranges that neither overlap nor
/// touch. Two sets with the same addresses have the same ranges, so equality is set equality.
public struct IntervalSet<Address: IPAddress>: Hashable, Sendable, CustomStringConvertible {
  /// Sorted, disjoint, non-adjacent.
  public private(set) var ranges: [AddressRange<Address>]

  public init() { ranges = [] }

  @usableFromInline init(canonical: [AddressRange<Address>]) { ranges = canonical }

  /// Builds the canonical form of any ranges: overlapping and touching ranges are merged.
  @inlinable public init(ranges unsorted: some Sequence<AddressRange<Address>>) {
    var sorted = Array(unsorted)
    sorted.sort { $0.first.bits < $1.first.bits }
    self.init(canonical: Self.merged(sorted))
  }

  @inlinable public init(prefixes: some Sequence<IPPrefix<Address>>) {
    self.init(ranges: prefixes.lazy.map { $0.range })
  }

  public init(addresses: some Sequence<Address>) {
    self.init(ranges: addresses.lazy.map { AddressRange(first: $0, last: $0) })
  }

  /// Merges ranges sorted by their first address.
  @inlinable static func merged(_ sorted: [AddressRange<Address>]) -> [AddressRange<Address>] {
    var result: [AddressRange<Address>] = []
    result.reserveCapacity(sorted.count)
    guard var current = sorted.first else { return result }
    for range in sorted.dropFirst() {
      // Touching counts as overlapping: current.last + 1 >= range.first, without overflow.
      if range.first.bits <= current.last.bits || range.first.bits - current.last.bits == 1 {
        if range.last > current.last {
          current = AddressRange(first: current.first, last: range.last)
        }
      } else {
        result.append(current)
        current = range
      }
    }
    result.append(current)
    return result
  }

  public var isEmpty: Bool { ranges.isEmpty }

  /// The range of this set that holds `address`, if any.
  @inlinable public func range(containing address: Address) -> AddressRange<Address>? {
    var low = 0
    var high = ranges.count
    while low < high {
      let middle = (low + high) / 2
      if ranges[middle].last < address { low = middle + 1 } else { high = middle }
    }
    return low < ranges.count && ranges[low].first <= address ? ranges[low] : nil
  }

  @inlinable public func contains(_ address: Address) -> Bool {
    range(containing: address) != nil
  }

  /// The shortest list of CIDR prefixes covering exactly this set, ascending.
  @inlinable public var prefixes: [IPPrefix<Address>] {
    var result: [IPPrefix<Address>] = []
    result.reserveCapacity(ranges.count)
    for range in ranges { range.forEachPrefix { result.append($0) } }
    return result
  }

  @inlinable public var prefixCount: Int {
    ranges.reduce(0) { $0 + $1.prefixCount }
  }

  @inlinable public var addressCount: AddressCount {
    ranges.reduce(.zero) { $0 + $1.addressCount }
  }

  @inlinable public func union(_ other: IntervalSet) -> IntervalSet {
    IntervalSet(ranges: ranges + other.ranges)
  }

  /// The addresses of this set that are not in `other`.
  @inlinable public func subtracting(_ other: IntervalSet) -> IntervalSet {
    var result: [AddressRange<Address>] = []
    var cuts = other.ranges[...]
    for range in ranges {
      var start: Address? = range.first
      while let begin = start, let cut = cuts.first, cut.first <= range.last {
        if cut.last < begin {
          cuts.removeFirst()
          continue
        }
        if cut.first > begin, let before = cut.first.predecessor {
          result.append(AddressRange(first: begin, last: before))
        }
        if cut.last >= range.last {
          start = nil
        } else {
          start = cut.last.successor
          cuts.removeFirst()
        }
      }
      if let begin = start { result.append(AddressRange(first: begin, last: range.last)) }
    }
    return IntervalSet(canonical: result)
  }

  @inlinable public func intersection(_ other: IntervalSet) -> IntervalSet {
    subtracting(subtracting(other))
  }

  public var description: String {
    "[" + ranges.map(\.description).joined(separator: ", ") + "]"
  }
}

public typealias IPv4Set = IntervalSet<IPv4Address>
public typealias IPv6Set = IntervalSet<IPv6Address>
