import AddressSet

/// The ranges one interval set holds, with the kernel's rules for changing them: added ranges
/// must not overlap anything (touching is fine), removed ranges must be stored exactly.
/// Sorted by first address; stored ranges never overlap, so first addresses are unique.
struct RangeStore<Address: IPAddress>: Hashable, Sendable {
  private(set) var ranges: [AddressRange<Address>] = []

  init(_ ranges: [AddressRange<Address>] = []) {
    self.ranges = ranges.sorted { $0.first < $1.first }
  }

  /// Adds all ranges, or returns the first one that overlaps and changes nothing.
  mutating func add(_ new: [AddressRange<Address>]) -> AddressRange<Address>? {
    let incoming = new.sorted { $0.first < $1.first }
    var merged: [AddressRange<Address>] = []
    merged.reserveCapacity(ranges.count + incoming.count)
    var i = 0
    var j = 0
    while i < ranges.count || j < incoming.count {
      let takeIncoming =
        i == ranges.count || (j < incoming.count && incoming[j].first < ranges[i].first)
      let next = takeIncoming ? incoming[j] : ranges[i]
      if let previous = merged.last, previous.last >= next.first {
        return takeIncoming ? next : previous
      }
      merged.append(next)
      if takeIncoming { j += 1 } else { i += 1 }
    }
    ranges = merged
    return nil
  }

  /// Removes all ranges, or returns the first one not stored exactly and changes nothing.
  mutating func remove(_ old: [AddressRange<Address>]) -> AddressRange<Address>? {
    var removed = Set<Int>()
    for range in old {
      guard let index = index(of: range), removed.insert(index).inserted else { return range }
    }
    ranges = ranges.indices.filter { !removed.contains($0) }.map { ranges[$0] }
    return nil
  }

  /// Stores a range without any check, as a foreign writer could.
  mutating func forceInsert(_ range: AddressRange<Address>) {
    ranges.append(range)
    ranges.sort { ($0.first, $0.last) < ($1.first, $1.last) }
  }

  private func index(of range: AddressRange<Address>) -> Int? {
    var low = 0
    var high = ranges.count
    while low < high {
      let middle = (low + high) / 2
      if ranges[middle].first < range.first { low = middle + 1 } else { high = middle }
    }
    return low < ranges.count && ranges[low] == range ? low : nil
  }
}
