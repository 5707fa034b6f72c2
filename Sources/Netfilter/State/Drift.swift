/// One way the table in the kernel differs from the intended structure.
public enum Drift: Hashable, Sendable, CustomStringConvertible {
  case tableMissing(String)
  case tableFlagsChanged(expected: UInt32, found: UInt32)
  case setMissing(String)
  case setChanged(expected: SetDefinition, found: SetDefinition)
  case unexpectedSet(String)
  case chainMissing(String)
  case unexpectedChain(String)
  case chainBaseChanged(chain: String, expected: BaseChain?, found: BaseChain?)
  /// `position` counts from 1 in the chain as intended.
  case ruleEdited(chain: String, position: Int, expected: Rule, found: Rule)
  /// `position` counts from 1 in the chain as found.
  case ruleInserted(chain: String, position: Int, Rule)
  /// `position` counts from 1 in the chain as intended.
  case ruleRemoved(chain: String, position: Int, Rule)

  public var description: String {
    switch self {
    case .tableMissing(let name): "table inet \(name) is missing"
    case .tableFlagsChanged(let expected, let found):
      "table flags are 0x\(String(found, radix: 16)), expected 0x\(String(expected, radix: 16))"
        + (found & 1 != 0 ? " (the table is dormant: its chains see no packets)" : "")
    case .setMissing(let name): "set \(name) is missing"
    case .setChanged(let expected, let found):
      "set \(found.name) changed: found \(found), expected \(expected)"
    case .unexpectedSet(let name): "unexpected set \(name)"
    case .chainMissing(let name): "chain \(name) is missing"
    case .unexpectedChain(let name): "unexpected chain \(name)"
    case .chainBaseChanged(let chain, let expected, let found):
      "chain \(chain) changed: found \(found.map(\.description) ?? "a regular chain"), "
        + "expected \(expected.map(\.description) ?? "a regular chain")"
    case .ruleEdited(let chain, let position, let expected, let found):
      "rule \(position) of chain \(chain) was edited: found `\(found)`, expected `\(expected)`"
    case .ruleInserted(let chain, let position, let rule):
      "a rule was inserted into chain \(chain) at position \(position): `\(rule)`"
    case .ruleRemoved(let chain, let position, let rule):
      "rule \(position) of chain \(chain) was removed: `\(rule)`"
    }
  }
}
