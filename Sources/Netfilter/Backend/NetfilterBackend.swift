/// Reads and changes origin-guard's table. Implemented over netlink by `NetlinkBackend` and in
/// memory by `FakeNetfilter`, with the same semantics.
///
/// Calls are synchronous and short (a netlink round trip); callers on an async context may call
/// them directly or hop to a dedicated thread for very large sets.
public protocol NetfilterBackend: Sendable {
  /// The ruleset generation of the network namespace: it changes with every commit by anyone.
  func generation() throws(NetfilterError) -> UInt32

  /// The table with its sets, chains and rules, or nil when there is no such table.
  /// Reading elements costs time that grows faster than the set: skip them (`withElements:
  /// false`) while the generation shows nothing changed since the last known state. Throws
  /// `generationChanged` when someone committed during the read: no retry here.
  func readTable(named name: String, withElements: Bool) throws(NetfilterError) -> TableState?

  /// The ranges of one address set, rebuilt from its interval elements.
  func readElements(table: String, set: String) throws(NetfilterError) -> SetElements

  /// Applies the transaction in one batch, all or nothing. With `expectedGeneration`, the
  /// kernel rejects the batch with `.generationChanged` if anything was committed since.
  /// Returns the generation after the commit (unchanged for an empty transaction).
  @discardableResult
  func apply(_ transaction: Transaction, expectedGeneration: UInt32?) throws(NetfilterError)
    -> UInt32

  /// The counter of the last rule in `chain` that has one (`counter drop`); nil when the table
  /// or chain is missing or no rule counts.
  func dropCounter(table: String, chain: String) throws(NetfilterError) -> Counter?
}
