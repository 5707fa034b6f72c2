import AddressSet

/// How the kernel compares with what origin-guard wants there.
public enum Comparison: Hashable, Sendable {
  case inSync
  /// The structure is right; applying the diffs (`GuardRuleset.updateTransaction`) fixes the sets.
  case elementsDiffer(v4: IntervalDiff<IPv4Address>, v6: IntervalDiff<IPv6Address>)
  /// The table is missing or was changed by someone else: recreate it
  /// (`GuardRuleset.installTransaction`).
  case structureDrifted([Drift])
}

extension GuardRuleset {
  /// Compares what was read with this ruleset and the desired allow-list. Elements are
  /// compared only when the state holds them; otherwise a correct structure counts as in sync.
  public func compare(_ state: TableState?, desired: DualStackSet) -> Comparison {
    let drifts = table.drifts(from: state?.table)
    guard drifts.isEmpty else { return .structureDrifted(drifts) }
    guard let elements = state?.elements else { return .inSync }
    let v4 = IntervalDiff(current: elements[ipv4SetName]?.ipv4Ranges ?? [], desired: desired.v4)
    let v6 = IntervalDiff(current: elements[ipv6SetName]?.ipv6Ranges ?? [], desired: desired.v6)
    return v4.isEmpty && v6.isEmpty ? .inSync : .elementsDiffer(v4: v4, v6: v6)
  }
}
