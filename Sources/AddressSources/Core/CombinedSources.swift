import AddressSet

/// A source prefix and every (source, origin) that listed it.
public struct PrefixProvenance: Hashable, Sendable, CustomStringConvertible {
  public let prefix: AnyIPPrefix
  public let provenance: [Provenance]

  public var description: String {
    "\(prefix) from " + provenance.map(\.description).joined(separator: "; ")
  }
}

/// Several sources' results merged into the one desired allow-list, remembering which source
/// and which domain, file line or URL each prefix came from.
public struct CombinedSources: Sendable {
  /// The union of every source: what the firewall should allow.
  public let set: DualStackSet
  /// Each distinct source prefix (after masking) with its contributors, in the order the
  /// results and their entries were given.
  public let provenance: [AnyIPPrefix: [Provenance]]
  public let results: [SourceResult]

  /// Merges `results`. Duplicates across and within sources are kept once in the set and
  /// listed once per (source, origin) in `provenance`.
  public init(_ results: [SourceResult]) {
    var provenance: [AnyIPPrefix: [Provenance]] = [:]
    for result in results {
      for entry in result.entries {
        let contributor = Provenance(source: result.source, origin: entry.origin)
        if provenance[entry.prefix]?.contains(contributor) == true { continue }
        provenance[entry.prefix, default: []].append(contributor)
      }
    }
    self.results = results
    self.provenance = provenance
    self.set = DualStackSet(prefixes: provenance.keys)
  }

  /// The source prefixes containing `address`, most specific first: the answer to
  /// "why is this address allowed?".
  public func explain(_ address: AnyIPAddress) -> [PrefixProvenance] {
    provenance.compactMap { prefix, contributors in
      prefix.contains(address) ? PrefixProvenance(prefix: prefix, provenance: contributors) : nil
    }.sorted(by: Self.mostSpecificFirst)
  }

  /// The source prefixes overlapping `prefix` (for example a merged range the plan adds or
  /// keeps), most specific first.
  public func contributors(overlapping prefix: AnyIPPrefix) -> [PrefixProvenance] {
    provenance.compactMap { candidate, contributors in
      candidate.overlaps(prefix)
        ? PrefixProvenance(prefix: candidate, provenance: contributors) : nil
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

/// Merges several sources' results into the desired allow-list with provenance.
public func combine(_ results: [SourceResult]) -> CombinedSources {
  CombinedSources(results)
}
