import AddressSet
import AddressSources

/// Answers "which sources list this prefix, or anything inside or around it?" without scanning
/// every source entry: prefixes that contain the query are found by masking the query to each
/// shorter length, prefixes inside it by binary search over the sorted entries.
public struct ProvenanceIndex: Sendable {
  private let byPrefix: [AnyIPPrefix: [Provenance]]
  private let sortedV4: [IPv4Prefix]
  private let sortedV6: [IPv6Prefix]

  public init(_ combined: CombinedSources) {
    self.init(byPrefix: combined.provenance)
  }

  /// An index that answers only for prefixes inside `set` (a plan's added or removed
  /// addresses): listings that do not overlap it are left out, so a plan that changes a few
  /// prefixes of a long list does not sort the whole list.
  public init(_ combined: CombinedSources, covering set: DualStackSet) {
    guard !set.isEmpty else {
      self.init(byPrefix: [:])
      return
    }
    self.init(byPrefix: combined.provenance(where: { Self.overlaps($0, set) }))
  }

  private init(byPrefix: [AnyIPPrefix: [Provenance]]) {
    self.byPrefix = byPrefix
    var v4: [IPv4Prefix] = []
    var v6: [IPv6Prefix] = []
    for prefix in byPrefix.keys {
      switch prefix {
      case .v4(let p): v4.append(p)
      case .v6(let p): v6.append(p)
      }
    }
    sortedV4 = v4.sorted { ($0.network, $0.length) < ($1.network, $1.length) }
    sortedV6 = v6.sorted { ($0.network, $0.length) < ($1.network, $1.length) }
  }

  private static func overlaps(_ prefix: AnyIPPrefix, _ set: DualStackSet) -> Bool {
    switch prefix {
    case .v4(let p): overlaps(p, set.v4)
    case .v6(let p): overlaps(p, set.v6)
    }
  }

  /// Whether any range of `set` meets `prefix`: the first range ending at or after the
  /// prefix's network must start at or before its last address.
  private static func overlaps<A: IPAddress>(_ prefix: IPPrefix<A>, _ set: IntervalSet<A>) -> Bool {
    let ranges = set.ranges
    var low = 0
    var high = ranges.count
    while low < high {
      let middle = (low + high) / 2
      if ranges[middle].last < prefix.network { low = middle + 1 } else { high = middle }
    }
    return low < ranges.count && ranges[low].first <= prefix.lastAddress
  }

  /// Every (source, origin) listing a prefix that overlaps `prefix`, each once, most specific
  /// listing first.
  public func contributors(_ prefix: AnyIPPrefix) -> [Provenance] {
    let overlapping: [AnyIPPrefix] =
      switch prefix {
      case .v4(let p): Self.overlapping(p, sorted: sortedV4).map(AnyIPPrefix.v4)
      case .v6(let p): Self.overlapping(p, sorted: sortedV6).map(AnyIPPrefix.v6)
      }
    var seen = Set<Provenance>()
    return overlapping.sorted { $0.length > $1.length }
      .flatMap { byPrefix[$0] ?? [] }
      .filter { seen.insert($0).inserted }
  }

  private static func overlapping<A: IPAddress>(_ query: IPPrefix<A>, sorted: [IPPrefix<A>])
    -> [IPPrefix<A>]
  {
    var result: [IPPrefix<A>] = []
    // Listed prefixes that contain the query (or equal it).
    for length in 0...query.length {
      let candidate = IPPrefix(query.network, length: length)
      if binarySearch(candidate, in: sorted) { result.append(candidate) }
    }
    // Listed prefixes strictly inside the query.
    var index = lowerBound(query.network, in: sorted)
    while index < sorted.count && sorted[index].network <= query.lastAddress {
      if sorted[index].length > query.length { result.append(sorted[index]) }
      index += 1
    }
    return result
  }

  private static func lowerBound<A: IPAddress>(_ address: A, in sorted: [IPPrefix<A>]) -> Int {
    var low = 0
    var high = sorted.count
    while low < high {
      let middle = (low + high) / 2
      if sorted[middle].network < address { low = middle + 1 } else { high = middle }
    }
    return low
  }

  private static func binarySearch<A: IPAddress>(_ prefix: IPPrefix<A>, in sorted: [IPPrefix<A>])
    -> Bool
  {
    var index = lowerBound(prefix.network, in: sorted)
    while index < sorted.count && sorted[index].network == prefix.network {
      if sorted[index].length == prefix.length { return true }
      index += 1
    }
    return false
  }
}
