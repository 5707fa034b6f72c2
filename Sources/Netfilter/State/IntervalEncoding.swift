import AddressSet

/// One element of an nftables interval set: a range starts at a start element and ends just
/// before the following end element (`NFT_SET_ELEM_INTERVAL_END`).
public struct IntervalElement<Address: IPAddress>: Hashable, Sendable, CustomStringConvertible {
  public var key: Address
  public var isEnd: Bool

  public init(key: Address, isEnd: Bool) {
    self.key = key
    self.isEnd = isEnd
  }

  public var description: String { isEnd ? "end \(key)" : "start \(key)" }
}

/// How ranges become interval elements and back. The kernel does not check that starts and ends
/// pair up, so both directions live here, in one place, tested against a model.
public enum IntervalEncoding {
  /// Calls `body` with the elements of each range in order: the start element at `first`, then
  /// the end element at the first address after the range, except when the range reaches the
  /// top of the address space (there is no address after it; a lone start runs to the top).
  @inlinable
  public static func forEachElement<Address: IPAddress>(
    of ranges: some Sequence<AddressRange<Address>>, _ body: (_ key: Address, _ isEnd: Bool) -> Void
  ) {
    for range in ranges {
      body(range.first, false)
      if let end = range.end { body(end, true) }
    }
  }

  public static func elements<Address: IPAddress>(of ranges: some Sequence<AddressRange<Address>>)
    -> [IntervalElement<Address>]
  {
    var result: [IntervalElement<Address>] = []
    forEachElement(of: ranges) { result.append(IntervalElement(key: $0, isEnd: $1)) }
    return result
  }

  /// Rebuilds the stored ranges from elements in any order (a dump comes in descending order).
  ///
  /// Sorted ascending with an end before a start on equal keys (touching ranges share a key):
  /// a start opens a range, an end closes the open one, an end with nothing open is stray and
  /// ignored (`nft` adds one at 0.0.0.0 to empty sets), a start while one is open closes the
  /// open one where the new one starts, and a start left open runs to the top of the space.
  public static func ranges<Address: IPAddress>(from elements: [IntervalElement<Address>])
    -> [AddressRange<Address>]
  {
    let sorted = elements.sorted { ($0.key, $0.isEnd ? 0 : 1) < ($1.key, $1.isEnd ? 0 : 1) }
    var result: [AddressRange<Address>] = []
    result.reserveCapacity(sorted.count / 2 + 1)
    var open: Address?
    for element in sorted {
      if element.isEnd {
        if let start = open, let range = AddressRange(start: start, end: element.key) {
          result.append(range)
        }
        open = nil
      } else {
        if let start = open, let range = AddressRange(start: start, end: element.key) {
          result.append(range)
        }
        open = element.key
      }
    }
    if let start = open { result.append(AddressRange(first: start, last: .max)) }
    return result
  }
}
