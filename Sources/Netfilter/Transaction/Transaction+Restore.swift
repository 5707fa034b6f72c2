import AddressSet

extension Transaction {
  /// Turns the table as it is now (`current`, read with its elements) back into `previous`
  /// (read earlier, with its elements; nil when there was no table) in place: only the
  /// elements, chains and rules that differ are touched, so unchanged rules keep their
  /// handles and counters and the table keeps its handle.
  ///
  /// The exception is a table whose flags or named sets differ: a set cannot change its type
  /// in place, so the table is then rebuilt as it was (in the same batch, with no moment
  /// without a table).
  public static func restoring(
    _ previous: TableState?, over current: TableState?, table name: String
  )
    -> Transaction
  {
    var transaction = Transaction()
    guard let previous else {
      if current != nil { transaction.deleteTable(name) }
      return transaction
    }
    guard let current else {
      transaction.create(previous.table)
      transaction.restoreElements(of: previous, over: nil)
      return transaction
    }
    let was = previous.table
    let now = current.table
    guard was.flags == now.flags, was.sets == now.sets else {
      transaction.recreate(was)
      transaction.restoreElements(of: previous, over: nil)
      return transaction
    }
    transaction.restoreChains(was, over: now)
    transaction.restoreElements(of: previous, over: current)
    return transaction
  }

  /// Chains that are gone or became another kind of chain are created again, chains that
  /// should not be there are deleted, and a chain whose rules differ gets its rules back; a
  /// chain equal to what it was (rules included) is left alone.
  private mutating func restoreChains(_ was: Table, over now: Table) {
    let table = was.name
    var removed: [Chain] = []
    var added: [Chain] = []
    var rewritten: [Chain] = []
    for chain in now.chains {
      guard let old = was.chain(named: chain.name), old.base == chain.base else {
        removed.append(chain)
        continue
      }
      if old.rules != chain.rules { rewritten.append(old) }
    }
    for chain in was.chains {
      if let other = now.chain(named: chain.name), other.base == chain.base { continue }
      added.append(chain)
    }
    // Flushing first drops the jumps into chains about to be deleted.
    for chain in removed + rewritten { flushChain(chain.name, table: table) }
    for chain in removed { deleteChain(chain.name, table: table) }
    for chain in added { addChain(chain.name, base: chain.base, table: table) }
    for chain in was.chains where added.contains(chain) || rewritten.contains(chain) {
      for rule in chain.rules { addRule(rule, chain: chain.name, table: table) }
    }
  }

  /// Removes the ranges `previous` did not hold and adds back those it held, range for range
  /// as they were stored (touching ranges stored apart stay apart).
  private mutating func restoreElements(of previous: TableState, over current: TableState?) {
    let table = previous.table.name
    for set in previous.table.sets {
      guard let family = set.keyType.addressFamily else { continue }
      let was = previous.elements?[set.name] ?? .empty(family)
      let now = current?.elements?[set.name] ?? .empty(family)
      switch (was, now) {
      case (.ipv4(let old), .ipv4(let new)): restore(old, over: new, set: set.name, table: table)
      case (.ipv6(let old), .ipv6(let new)): restore(old, over: new, set: set.name, table: table)
      case (.ipv4(let old), _): addElements(old, set: set.name, table: table)
      case (.ipv6(let old), _): addElements(old, set: set.name, table: table)
      }
    }
  }

  private mutating func restore<A: IPAddress>(
    _ old: [AddressRange<A>], over new: [AddressRange<A>], set: String, table: String
  ) {
    let kept = Set(old)
    let present = Set(new)
    removeElements(new.filter { !kept.contains($0) }, set: set, table: table)
    addElements(old.filter { !present.contains($0) }, set: set, table: table)
  }
}
