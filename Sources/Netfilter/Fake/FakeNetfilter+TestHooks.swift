import AddressSet

/// Hooks that make the fake behave like a kernel shared with other writers.
/// Each change made through a hook is a commit of its own: it bumps the generation.
extension FakeNetfilter {
  /// Another process committed something elsewhere in the ruleset.
  public func simulateForeignCommit(table: String = "neighbour") {
    state.withLock { state in
      state.commitForeign(.element, .added, table: table)
    }
  }

  /// Someone edited our table's structure (`nft replace rule`, `nft insert rule`, chain policy…).
  /// Does nothing when the table is missing.
  public func simulateDrift(table: String, _ edit: (inout Table) -> Void) {
    state.withLock { state in
      guard var stored = state.tables[table] else { return }
      edit(&stored.table)
      state.tables[table] = stored
      state.commitForeign(.rule, .added, table: table)
    }
  }

  /// Someone deleted our table (`nft delete table inet origin_guard`).
  public func simulateTableDeletion(_ table: String) {
    state.withLock { state in
      guard state.tables.removeValue(forKey: table) != nil else { return }
      state.commitForeign(.table, .deleted, table: table)
    }
  }

  /// Someone added a range to one of our sets (`nft add element …`), without any check.
  public func simulateForeignElement<A: IPAddress>(
    _ range: AddressRange<A>, set: String, table: String
  ) {
    state.withLock { state in
      guard var stored = state.tables[table] else { return }
      if let v4 = range as? AddressRange<IPv4Address>, stored.v4[set] != nil {
        stored.v4[set]!.forceInsert(v4)
      } else if let v6 = range as? AddressRange<IPv6Address>, stored.v6[set] != nil {
        stored.v6[set]!.forceInsert(v6)
      } else {
        return
      }
      state.tables[table] = stored
      state.commitForeign(.element, .added, table: table)
    }
  }

  /// Someone deleted a range from one of our sets (`nft delete element …`). Does nothing
  /// when the set does not hold exactly that range.
  public func simulateElementDeletion<A: IPAddress>(
    _ range: AddressRange<A>, set: String, table: String
  ) {
    state.withLock { state in
      guard var stored = state.tables[table] else { return }
      if let v4 = range as? AddressRange<IPv4Address>, var store = stored.v4[set],
        store.remove([v4]) == nil
      {
        stored.v4[set] = store
      } else if let v6 = range as? AddressRange<IPv6Address>, var store = stored.v6[set],
        store.remove([v6]) == nil
      {
        stored.v6[set] = store
      } else {
        return
      }
      state.tables[table] = stored
      state.commitForeign(.element, .deleted, table: table)
    }
  }

  /// The subscribers' sockets failed (`recv` returned an error): their next drain throws
  /// `error`, and whoever follows them must subscribe again.
  public func simulateSubscriptionFailure(
    _ error: NetfilterError = .kernel(operation: "receive from nf_tables", errno: 9)
  ) {
    state.withLock { state in
      for subscriber in state.subscribers { subscriber.fail(error) }
    }
  }

  /// The subscribers' queues overflowed: each gets `.eventsLost` (and changes made meanwhile
  /// are not announced).
  public func simulateLostEvents() {
    state.withLock { state in
      for subscriber in state.subscribers { subscriber.deliver(.eventsLost) }
    }
  }

  /// Packets hit the counter of the last counting rule in `chain` (the `counter drop`).
  /// Counters change without a commit, so the generation stays.
  public func simulateDroppedPackets(_ packets: UInt64, bytes: UInt64, table: String, chain: String)
  {
    state.withLock { state in
      guard var stored = state.tables[table],
        let chainIndex = stored.table.chains.firstIndex(where: { $0.name == chain }),
        let ruleIndex = stored.table.chains[chainIndex].rules.lastIndex(where: { $0.counter != nil }
        )
      else { return }
      let old = stored.table.chains[chainIndex].rules[ruleIndex].counter!
      stored.table.chains[chainIndex].rules[ruleIndex].counter = Counter(
        packets: old.packets + packets, bytes: old.bytes + bytes)
      state.tables[table] = stored
    }
  }

  /// The next call of that kind throws `error` instead of running (once per injection).
  public func injectFailure(_ error: NetfilterError, on call: Call) {
    state.withLock { $0.pendingFailures.append((call, error)) }
  }

  /// Every transaction committed so far, oldest first (empty and failed ones are not recorded).
  public var appliedTransactions: [Transaction] {
    state.withLock { $0.appliedTransactions }
  }
}

extension FakeNetfilter.State {
  /// Another program's commit of one change to `table`: a new generation, and its event.
  fileprivate mutating func commitForeign(
    _ object: RulesetChange.Object, _ action: RulesetChange.Action, table: String
  ) {
    bumpGeneration()
    announce(
      [RulesetChange(object, action, family: RulesetChange.inetFamily, table: table)], isOwn: false)
  }
}
