/// An `inet` table with its sets and chains: the structure origin-guard owns, without elements.
///
/// Produced by `GuardRuleset` as the intent and by the reader as what the kernel holds, so the
/// two compare with `==`; `Table.drifts(from:)` says how they differ.
public struct Table: Hashable, Sendable, Codable {
  public var name: String
  /// `NFT_TABLE_F_*`; 1 is `dormant`, a table whose chains see no packets.
  public var flags: UInt32
  /// Named sets, in the order they are created. Anonymous sets belong to rules.
  public var sets: [SetDefinition]
  /// Chains in the order they are created.
  public var chains: [Chain]

  public init(name: String, flags: UInt32 = 0, sets: [SetDefinition] = [], chains: [Chain] = []) {
    self.name = name
    self.flags = flags
    self.sets = sets
    self.chains = chains
  }

  public func set(named name: String) -> SetDefinition? { sets.first { $0.name == name } }
  public func chain(named name: String) -> Chain? { chains.first { $0.name == name } }
}
