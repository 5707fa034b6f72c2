import AddressSet

/// Changes to the ruleset, applied by a backend in one netlink batch: all of them or none.
///
/// The batch runs structure changes in the order they were added, then every element removal
/// (and set flush), then every element addition. Removals must come first: a range that grows,
/// shrinks or splits is removed whole and re-added, and adding first would overlap (EEXIST).
public struct Transaction: Hashable, Sendable, CustomStringConvertible {
  public private(set) var structureChanges: [StructureChange] = []
  public private(set) var elementRemovals: [ElementChange] = []
  public private(set) var elementAdditions: [ElementChange] = []

  public init() {}

  /// A change to tables, sets, chains or rules.
  public enum StructureChange: Hashable, Sendable, CustomStringConvertible {
    /// Creates the table, or does nothing if it exists (`nft add table`); resets its flags.
    case addTable(String)
    /// Deletes the table with everything in it; fails if it does not exist.
    case deleteTable(String)
    case addSet(table: String, SetDefinition)
    /// Creates the chain without rules; a chain that exists with the same definition is kept.
    case addChain(table: String, name: String, base: BaseChain?)
    case flushChain(table: String, chain: String)
    /// Deletes a chain, which must hold no rules (flush it earlier in the batch) and be the
    /// target of no jump.
    case deleteChain(table: String, chain: String)
    /// Appends the rule to the chain.
    case addRule(table: String, chain: String, Rule)

    public var description: String {
      switch self {
      case .addTable(let name): "add table inet \(name)"
      case .deleteTable(let name): "delete table inet \(name)"
      case .addSet(let table, let set): "add set \(table) \(set.name)"
      case .addChain(let table, let name, _): "add chain \(table) \(name)"
      case .flushChain(let table, let chain): "flush chain \(table) \(chain)"
      case .deleteChain(let table, let chain): "delete chain \(table) \(chain)"
      case .addRule(let table, let chain, let rule): "add rule \(table) \(chain) \(rule)"
      }
    }
  }

  /// Ranges added to or removed from a set, or a flush of all its elements.
  public struct ElementChange: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
      case add(SetElements)
      case remove(SetElements)
      case flush
    }

    public var table: String
    public var set: String
    public var kind: Kind

    public var description: String {
      switch kind {
      case .add(let elements): "add \(elements.count) range(s) to set \(table) \(set)"
      case .remove(let elements): "delete \(elements.count) range(s) from set \(table) \(set)"
      case .flush: "flush set \(table) \(set)"
      }
    }
  }

  /// Nothing to send: a backend commits nothing and the generation stays.
  public var isEmpty: Bool {
    structureChanges.isEmpty && elementRemovals.isEmpty && elementAdditions.isEmpty
  }

  /// Every change in the order the batch runs them.
  public var orderedDescriptions: [String] {
    structureChanges.map(\.description) + elementRemovals.map(\.description)
      + elementAdditions.map(\.description)
  }

  public var description: String { orderedDescriptions.joined(separator: "\n") }

  public mutating func addTable(_ name: String) { structureChanges.append(.addTable(name)) }
  public mutating func deleteTable(_ name: String) { structureChanges.append(.deleteTable(name)) }

  public mutating func addSet(_ set: SetDefinition, table: String) {
    structureChanges.append(.addSet(table: table, set))
  }

  public mutating func addChain(_ name: String, base: BaseChain?, table: String) {
    structureChanges.append(.addChain(table: table, name: name, base: base))
  }

  public mutating func flushChain(_ chain: String, table: String) {
    structureChanges.append(.flushChain(table: table, chain: chain))
  }

  public mutating func deleteChain(_ chain: String, table: String) {
    structureChanges.append(.deleteChain(table: table, chain: chain))
  }

  public mutating func addRule(_ rule: Rule, chain: String, table: String) {
    structureChanges.append(.addRule(table: table, chain: chain, rule))
  }

  /// Adds ranges, which must not overlap each other or what the set holds (merge touching
  /// ranges first, e.g. through `IntervalSet`).
  public mutating func addElements<A: IPAddress>(
    _ ranges: [AddressRange<A>], set: String, table: String
  ) {
    guard !ranges.isEmpty else { return }
    elementAdditions.append(ElementChange(table: table, set: set, kind: .add(A.elements(ranges))))
  }

  /// Removes ranges, each named exactly as stored (`IntervalDiff.remove`).
  public mutating func removeElements<A: IPAddress>(
    _ ranges: [AddressRange<A>], set: String, table: String
  ) {
    guard !ranges.isEmpty else { return }
    elementRemovals.append(ElementChange(table: table, set: set, kind: .remove(A.elements(ranges))))
  }

  public mutating func flushSet(_ set: String, table: String) {
    elementRemovals.append(ElementChange(table: table, set: set, kind: .flush))
  }

  /// Applies a difference between what a set holds and what it should hold.
  public mutating func apply<A: IPAddress>(_ diff: IntervalDiff<A>, set: String, table: String) {
    removeElements(diff.remove, set: set, table: table)
    addElements(diff.add, set: set, table: table)
  }

  /// Creates a table, its sets, its chains and then its rules (jumps need their target chain).
  public mutating func create(_ table: Table) {
    addTable(table.name)
    for set in table.sets { addSet(set, table: table.name) }
    for chain in table.chains { addChain(chain.name, base: chain.base, table: table.name) }
    for chain in table.chains {
      for rule in chain.rules { addRule(rule, chain: chain.name, table: table.name) }
    }
  }

  /// Deletes the table if it exists, whatever it holds, and creates it afresh — in the same
  /// batch, so packets never see a moment without the table. `addTable` first makes the
  /// delete valid when the table is missing.
  public mutating func recreate(_ table: Table) {
    addTable(table.name)
    deleteTable(table.name)
    create(table)
  }
}
