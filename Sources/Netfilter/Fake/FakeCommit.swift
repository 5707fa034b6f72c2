import AddressSet

/// Runs a transaction against the fake's tables in batch order, throwing the kernel's error
/// for the first change that fails. The caller commits the result only on success.
enum FakeCommit {
  static func apply(_ transaction: Transaction, to tables: inout [String: FakeTable])
    throws(NetfilterError)
  {
    for change in transaction.structureChanges { try apply(change, to: &tables) }
    for change in transaction.elementRemovals + transaction.elementAdditions {
      try apply(change, to: &tables)
    }
  }

  private static func apply(
    _ change: Transaction.StructureChange, to tables: inout [String: FakeTable]
  )
    throws(NetfilterError)
  {
    let operation = change.description
    switch change {
    case .addTable(let name):
      if tables[name] == nil { tables[name] = FakeTable(table: Table(name: name)) }
      tables[name]!.table.flags = 0
    case .deleteTable(let name):
      guard tables.removeValue(forKey: name) != nil else {
        throw .objectMissing(operation: operation)
      }
    case .addSet(let tableName, let set):
      try modify(tableName, in: &tables, operation) {
        (table: inout FakeTable) throws(NetfilterError) in
        if let existing = table.table.set(named: set.name) {
          guard existing == set else { throw .objectExists(operation: operation) }
          return
        }
        switch set.keyType.addressFamily {
        case .ipv4: table.v4[set.name] = RangeStore()
        case .ipv6: table.v6[set.name] = RangeStore()
        case nil: break
        }
        table.table.sets.append(set)
      }
    case .addChain(let tableName, let name, let base):
      try modify(tableName, in: &tables, operation) {
        (table: inout FakeTable) throws(NetfilterError) in
        if let existing = table.table.chain(named: name) {
          guard existing.base == base else { throw .objectExists(operation: operation) }
          return
        }
        table.table.chains.append(Chain(name: name, base: base))
      }
    case .flushChain(let tableName, let chain):
      try modifyChain(chain, tableName, in: &tables, operation) { $0.rules = [] }
    case .deleteChain(let tableName, let chainName):
      try modify(tableName, in: &tables, operation) {
        (table: inout FakeTable) throws(NetfilterError) in
        guard let index = table.table.chains.firstIndex(where: { $0.name == chainName }) else {
          throw .objectMissing(operation: operation)
        }
        let jumpedTo = table.table.chains.contains { chain in
          chain.rules.contains { rule in
            rule.expressions.contains {
              $0 == .verdict(.jump(chainName)) || $0 == .verdict(.goto(chainName))
            }
          }
        }
        // The kernel refuses (EBUSY) a chain that still holds rules or is a jump target.
        guard table.table.chains[index].rules.isEmpty, !jumpedTo else {
          throw .kernel(operation: operation, errno: 16)
        }
        table.table.chains.remove(at: index)
      }
    case .addRule(let tableName, let chainName, var rule):
      try modify(tableName, in: &tables, operation) {
        (table: inout FakeTable) throws(NetfilterError) in
        for expression in rule.expressions {
          switch expression {
          case .lookup(.named(let set)) where table.table.set(named: set) == nil:
            throw .objectMissing(operation: operation)
          case .verdict(.jump(let target)) where table.table.chain(named: target) == nil,
            .verdict(.goto(let target)) where table.table.chain(named: target) == nil:
            throw .objectMissing(operation: operation)
          default: break
          }
        }
        guard let index = table.table.chains.firstIndex(where: { $0.name == chainName }) else {
          throw .objectMissing(operation: operation)
        }
        if rule.expressions.contains(.counter) { rule.counter = Counter(packets: 0, bytes: 0) }
        table.table.chains[index].rules.append(rule)
      }
    }
  }

  private static func apply(
    _ change: Transaction.ElementChange, to tables: inout [String: FakeTable]
  )
    throws(NetfilterError)
  {
    let operation = change.description
    try modify(change.table, in: &tables, operation) {
      (table: inout FakeTable) throws(NetfilterError) in
      guard let set = table.table.set(named: change.set), let family = set.keyType.addressFamily
      else {
        throw .objectMissing(operation: operation)
      }
      switch (change.kind, family) {
      case (.flush, .ipv4): table.v4[change.set] = RangeStore()
      case (.flush, .ipv6): table.v6[change.set] = RangeStore()
      case (.add(.ipv4(let ranges)), .ipv4):
        if let bad = table.v4[change.set]!.add(ranges) {
          throw .elementExists(operation: operation, element: bad.elementDescription)
        }
      case (.add(.ipv6(let ranges)), .ipv6):
        if let bad = table.v6[change.set]!.add(ranges) {
          throw .elementExists(operation: operation, element: bad.elementDescription)
        }
      case (.remove(.ipv4(let ranges)), .ipv4):
        if let bad = table.v4[change.set]!.remove(ranges) {
          throw .elementMissing(operation: operation, element: bad.elementDescription)
        }
      case (.remove(.ipv6(let ranges)), .ipv6):
        if let bad = table.v6[change.set]!.remove(ranges) {
          throw .elementMissing(operation: operation, element: bad.elementDescription)
        }
      default:
        throw .kernel(operation: operation, errno: 22)  // EINVAL: key length of the other family
      }
    }
  }

  private static func modify(
    _ name: String, in tables: inout [String: FakeTable], _ operation: String,
    _ body: (inout FakeTable) throws(NetfilterError) -> Void
  ) throws(NetfilterError) {
    guard var table = tables[name] else { throw .objectMissing(operation: operation) }
    try body(&table)
    tables[name] = table
  }

  private static func modifyChain(
    _ chain: String, _ tableName: String, in tables: inout [String: FakeTable], _ operation: String,
    _ body: (inout Chain) -> Void
  ) throws(NetfilterError) {
    try modify(tableName, in: &tables, operation) {
      (table: inout FakeTable) throws(NetfilterError) in
      guard let index = table.table.chains.firstIndex(where: { $0.name == chain }) else {
        throw .objectMissing(operation: operation)
      }
      body(&table.table.chains[index])
    }
  }
}
