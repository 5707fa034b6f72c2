import AddressSet
import Synchronization

/// An in-memory `NetfilterBackend` for tests of everything above the kernel layer.
///
/// It keeps the kernel's semantics: a transaction applies whole or not at all; the generation
/// increases by one with each non-empty commit; an outdated `expectedGeneration` fails with
/// `.generationChanged`; overlapping additions fail with `.elementExists`, removals of ranges
/// not stored exactly with `.elementMissing`; missing tables, sets and chains with
/// `.objectMissing`. Test hooks (`FakeNetfilter+TestHooks.swift`) simulate other writers and
/// failures.
public final class FakeNetfilter: NetfilterBackend {
  struct State: Sendable {
    var generation: UInt32
    var tables: [String: FakeTable] = [:]
    var pendingFailures: [(call: Call, error: NetfilterError)] = []
    var appliedTransactions: [Transaction] = []
    var subscribers: [FakeSubscription] = []
  }

  /// A backend method, for injecting failures.
  public enum Call: Hashable, Sendable {
    case generation, readTable, readElements, apply, dropCounter
  }

  let state: Mutex<State>

  public init(generation: UInt32 = 1) {
    state = Mutex(State(generation: generation))
  }

  public func generation() throws(NetfilterError) -> UInt32 {
    try state.withLock { state throws(NetfilterError) in
      try state.takeFailure(for: .generation)
      return state.generation
    }
  }

  public func readTable(named name: String, withElements: Bool) throws(NetfilterError)
    -> TableState?
  {
    try state.withLock { state throws(NetfilterError) in
      try state.takeFailure(for: .readTable)
      guard let stored = state.tables[name] else { return nil }
      return TableState(
        generation: state.generation, table: stored.table,
        elements: withElements ? stored.allElements : nil)
    }
  }

  public func readElements(table: String, set: String) throws(NetfilterError) -> SetElements {
    try state.withLock { state throws(NetfilterError) in
      try state.takeFailure(for: .readElements)
      guard let elements = state.tables[table]?.elements(ofSet: set) else {
        throw .objectMissing(operation: "list set \(table) \(set)")
      }
      return elements
    }
  }

  @discardableResult
  public func apply(_ transaction: Transaction, expectedGeneration: UInt32?) throws(NetfilterError)
    -> UInt32
  {
    try state.withLock { state throws(NetfilterError) in
      try state.takeFailure(for: .apply)
      if let expectedGeneration, expectedGeneration != state.generation {
        throw .generationChanged(expected: expectedGeneration)
      }
      guard !transaction.isEmpty else { return state.generation }
      var tables = state.tables
      try FakeCommit.apply(transaction, to: &tables)
      state.tables = tables
      state.bumpGeneration()
      state.appliedTransactions.append(transaction)
      state.announce(transaction.announcedChanges, isOwn: true)
      return state.generation
    }
  }

  public func dropCounter(table: String, chain: String) throws(NetfilterError) -> Counter? {
    try state.withLock { state throws(NetfilterError) in
      try state.takeFailure(for: .dropCounter)
      return state.tables[table]?.table.chain(named: chain)?.rules.last { $0.counter != nil }?
        .counter
    }
  }
}

extension FakeNetfilter.State {
  mutating func takeFailure(for call: FakeNetfilter.Call) throws(NetfilterError) {
    guard let index = pendingFailures.firstIndex(where: { $0.call == call }) else { return }
    throw pendingFailures.remove(at: index).error
  }

  /// The kernel skips 0 when the generation wraps.
  mutating func bumpGeneration() {
    generation &+= 1
    if generation == 0 { generation = 1 }
  }
}
