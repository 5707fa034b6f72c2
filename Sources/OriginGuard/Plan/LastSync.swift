import AddressSet
import Foundation

/// What origin-guard itself last installed in this kernel: the saved state, when it belongs to
/// this boot, network namespace and table (`StateHeader.belongs`). It is the yardstick that
/// says whose a difference is: an address in the kernel it never applied is someone else's, a
/// setting that differs from it is our configuration's, a prefix it applied that no source
/// lists any more is the source's.
public struct LastSync: Sendable, Equatable {
  public var applied: DualStackSet
  /// Nil when an older version saved the state.
  public var ruleset: RulesetRecord?
  /// Set when `teardown` removed the table since: a missing table is then ours, not drift.
  public var tableRemovedAt: Date?

  public init(applied: DualStackSet, ruleset: RulesetRecord?, tableRemovedAt: Date?) {
    self.applied = applied
    self.ruleset = ruleset
    self.tableRemovedAt = tableRemovedAt
  }
}

extension LastSync {
  /// From a header that belongs to this kernel and table, with its applied list loaded.
  init(_ header: StateHeader, applied: DualStackSet) {
    self.init(applied: applied, ruleset: header.ruleset, tableRemovedAt: header.tableRemovedAt)
  }
}
