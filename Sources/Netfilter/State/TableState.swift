import AddressSet

/// Our table as read from the kernel, at one generation of the ruleset.
public struct TableState: Hashable, Sendable {
  /// The ruleset generation the read saw from start to end.
  public var generation: UInt32
  public var table: Table
  /// The ranges of each named address set, keyed by set name; nil when the read skipped them.
  public var elements: [String: SetElements]?

  public init(generation: UInt32, table: Table, elements: [String: SetElements]?) {
    self.generation = generation
    self.table = table
    self.elements = elements
  }

  /// The counter of the last rule in `chain` that has one: origin-guard's `counter drop`.
  public func dropCounter(chain: String) -> Counter? {
    table.chain(named: chain)?.rules.last { $0.counter != nil }?.counter
  }
}
