/// One interval set per family: the shape of an allow-list.
public struct DualStackSet: Hashable, Sendable {
  public var v4: IPv4Set
  public var v6: IPv6Set

  public init(v4: IPv4Set = IPv4Set(), v6: IPv6Set = IPv6Set()) {
    self.v4 = v4
    self.v6 = v6
  }

  public init(prefixes: some Sequence<AnyIPPrefix>) {
    var v4: [IPv4Prefix] = []
    var v6: [IPv6Prefix] = []
    for prefix in prefixes {
      switch prefix {
      case .v4(let p): v4.append(p)
      case .v6(let p): v6.append(p)
      }
    }
    self.init(v4: IPv4Set(prefixes: v4), v6: IPv6Set(prefixes: v6))
  }

  public var isEmpty: Bool { v4.isEmpty && v6.isEmpty }

  /// The number of CIDR prefixes needed to write the set down, both families.
  public var prefixCount: Int { v4.prefixCount + v6.prefixCount }

  public func contains(_ address: AnyIPAddress) -> Bool {
    switch address {
    case .v4(let a): v4.contains(a)
    case .v6(let a): v6.contains(a)
    }
  }

  public func union(_ other: DualStackSet) -> DualStackSet {
    DualStackSet(v4: v4.union(other.v4), v6: v6.union(other.v6))
  }

  /// Every prefix, IPv4 first, each family ascending.
  public var prefixes: [AnyIPPrefix] {
    v4.prefixes.map(AnyIPPrefix.v4) + v6.prefixes.map(AnyIPPrefix.v6)
  }
}
