extension Table {
  /// How `found` differs from this intended table, in terms an operator recognises; empty when
  /// the structure is as intended (element contents are not compared here).
  public func drifts(from found: Table?) -> [Drift] {
    guard let found else { return [.tableMissing(name)] }
    var drifts: [Drift] = []
    if found.flags != flags {
      drifts.append(.tableFlagsChanged(expected: flags, found: found.flags))
    }
    for set in sets {
      if let other = found.set(named: set.name) {
        if other != set { drifts.append(.setChanged(expected: set, found: other)) }
      } else {
        drifts.append(.setMissing(set.name))
      }
    }
    for set in found.sets where self.set(named: set.name) == nil {
      drifts.append(.unexpectedSet(set.name))
    }
    for chain in chains {
      guard let other = found.chain(named: chain.name) else {
        drifts.append(.chainMissing(chain.name))
        continue
      }
      if other.base != chain.base {
        drifts.append(.chainBaseChanged(chain: chain.name, expected: chain.base, found: other.base))
      }
      drifts += Self.ruleDrifts(chain: chain.name, expected: chain.rules, found: other.rules)
    }
    for chain in found.chains where self.chain(named: chain.name) == nil {
      drifts.append(.unexpectedChain(chain.name))
    }
    return drifts
  }

  /// Aligns the two rule lists on their longest common subsequence; a removal and an insertion
  /// at the same place read as an edit.
  static func ruleDrifts(chain: String, expected: [Rule], found: [Rule]) -> [Drift] {
    let n = expected.count
    let m = found.count
    // common[i][j]: length of the longest common subsequence of expected[i...] and found[j...].
    var common = [[Int]](repeating: [Int](repeating: 0, count: m + 1), count: n + 1)
    for i in stride(from: n - 1, through: 0, by: -1) {
      for j in stride(from: m - 1, through: 0, by: -1) {
        common[i][j] =
          expected[i] == found[j]
          ? common[i + 1][j + 1] + 1 : max(common[i + 1][j], common[i][j + 1])
      }
    }
    var drifts: [Drift] = []
    var i = 0
    var j = 0
    while i < n || j < m {
      if i < n && j < m && expected[i] == found[j] {
        i += 1
        j += 1
      } else if i < n && j < m && common[i + 1][j + 1] == common[i][j] {
        drifts.append(
          .ruleEdited(chain: chain, position: i + 1, expected: expected[i], found: found[j]))
        i += 1
        j += 1
      } else if j < m && (i == n || common[i][j + 1] >= common[i + 1][j]) {
        drifts.append(.ruleInserted(chain: chain, position: j + 1, found[j]))
        j += 1
      } else {
        drifts.append(.ruleRemoved(chain: chain, position: i + 1, expected[i]))
        i += 1
      }
    }
    return drifts
  }
}
