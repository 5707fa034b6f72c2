import AddressSet

/// A source prefix and every (source, origin) that listed it.
public struct PrefixProvenance: Hashable, Sendable, CustomStringConvertible {
  public let prefix: AnyIPPrefix
  public let provenance: [Provenance]

  public var description: String {
    "\(prefix) from " + MessageLimit.list(provenance.map(\.description))
  }
}

/// Several sources' results merged into the one desired allow-list, remembering which source
/// and which domain, file line or URL each prefix came from.
public struct CombinedSources: Sendable {
  /// The union of every source: what the firewall should allow.
  public let set: DualStackSet
  public let results: [SourceResult]

  /// Merges `results`. Duplicates across and within sources are kept once in the set.
  public init(_ results: [SourceResult]) {
    self.results = results
    var v4: [IPv4Prefix] = []
    var v6: [IPv6Prefix] = []
    for result in results {
      for entry in result.entries {
        switch entry.prefix {
        case .v4(let prefix): v4.append(prefix)
        case .v6(let prefix): v6.append(prefix)
        }
      }
    }
    self.set = DualStackSet(v4: IPv4Set(prefixes: v4), v6: IPv6Set(prefixes: v6))
  }

  /// Each distinct source prefix (after masking) with its contributors, each (source, origin)
  /// listed once, in the order the results and their entries were given. Built on demand: a
  /// sync that prints nothing never needs it, and for a list of 100,000 entries it costs more
  /// than the rest of the merge.
  public var provenance: [AnyIPPrefix: [Provenance]] {
    provenance(where: { _ in true })
  }

  /// `provenance` restricted to the prefixes `include` accepts.
  public func provenance(where include: (AnyIPPrefix) -> Bool) -> [AnyIPPrefix: [Provenance]] {
    var provenance: [AnyIPPrefix: [Provenance]] = [:]
    // One prefix can be listed 100,000 times: a set answers "listed already?" for each in
    // constant time, where searching the prefix's contributors made that quadratic.
    var seen = Set<Listing>()
    for result in results {
      for entry in result.entries where include(entry.prefix) {
        let contributor = Provenance(source: result.source, origin: entry.origin)
        if seen.insert(Listing(prefix: entry.prefix, contributor: contributor)).inserted {
          provenance[entry.prefix, default: []].append(contributor)
        }
      }
    }
    return provenance
  }

  /// The source prefixes containing `address`, most specific first: the answer to
  /// "why is this address allowed?".
  public func explain(_ address: AnyIPAddress) -> [PrefixProvenance] {
    provenance(where: { $0.contains(address) }).map { prefix, contributors in
      PrefixProvenance(prefix: prefix, provenance: contributors)
    }.sorted(by: Self.mostSpecificFirst)
  }

  /// The source prefixes overlapping `prefix` (for example a merged range the plan adds or
  /// keeps), most specific first.
  public func contributors(overlapping prefix: AnyIPPrefix) -> [PrefixProvenance] {
    provenance(where: { $0.overlaps(prefix) }).map { candidate, contributors in
      PrefixProvenance(prefix: candidate, provenance: contributors)
    }.sorted(by: Self.mostSpecificFirst)
  }

  private static func mostSpecificFirst(_ a: PrefixProvenance, _ b: PrefixProvenance) -> Bool {
    if a.prefix.length != b.prefix.length { return a.prefix.length > b.prefix.length }
    return a.prefix.description < b.prefix.description
  }
}

extension AnyIPPrefix {
  func contains(_ address: AnyIPAddress) -> Bool {
    switch (self, address) {
    case (.v4(let prefix), .v4(let address)): prefix.contains(address)
    case (.v6(let prefix), .v6(let address)): prefix.contains(address)
    default: false
    }
  }

  func overlaps(_ other: AnyIPPrefix) -> Bool {
    switch (self, other) {
    case (.v4(let a), .v4(let b)): a.network <= b.lastAddress && b.network <= a.lastAddress
    case (.v6(let a), .v6(let b)): a.network <= b.lastAddress && b.network <= a.lastAddress
    default: false
    }
  }
}

/// One (prefix, contributor) pair of the provenance map.
private struct Listing: Hashable {
  let prefix: AnyIPPrefix
  let contributor: Provenance
}

/// Merges several sources' results into the desired allow-list with provenance.
public func combine(_ results: [SourceResult]) -> CombinedSources {
  CombinedSources(results)
}
