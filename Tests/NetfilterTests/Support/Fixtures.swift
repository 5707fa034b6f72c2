import AddressSet
import Netfilter

/// Shorthands for test data.
func v4(_ text: String) -> AddressRange<IPv4Address> {
  if let dash = text.firstIndex(of: "-") {
    return AddressRange(
      first: IPv4Address(String(text[..<dash]))!,
      last: IPv4Address(String(text[text.index(after: dash)...]))!)
  }
  guard case .v4(let prefix) = try! PrefixParser.parse(text).prefix else {
    fatalError("not IPv4: \(text)")
  }
  return prefix.range
}

func v6(_ text: String) -> AddressRange<IPv6Address> {
  guard case .v6(let prefix) = try! PrefixParser.parse(text).prefix else {
    fatalError("not IPv6: \(text)")
  }
  return prefix.range
}

func addresses(_ texts: String...) -> DualStackSet {
  DualStackSet(prefixes: texts.map { try! PrefixParser.parse($0).prefix })
}

let ruleset = GuardRuleset()
let table = ruleset.tableName
let setV4 = ruleset.ipv4SetName
let setV6 = ruleset.ipv6SetName

extension NetfilterBackend {
  /// Installs the default ruleset with the given addresses; returns the new generation.
  @discardableResult
  func install(_ addresses: DualStackSet = DualStackSet(), _ rules: GuardRuleset = ruleset) throws
    -> UInt32
  {
    try apply(rules.installTransaction(allowing: addresses), expectedGeneration: nil)
  }

  func ranges4(_ set: String = setV4) throws -> [AddressRange<IPv4Address>] {
    try readElements(table: table, set: set).ipv4Ranges ?? []
  }

  func ranges6(_ set: String = setV6) throws -> [AddressRange<IPv6Address>] {
    try readElements(table: table, set: set).ipv6Ranges ?? []
  }

  /// Applies a transaction that only changes elements of the IPv4 set.
  @discardableResult
  func change4(
    remove: [AddressRange<IPv4Address>] = [], add: [AddressRange<IPv4Address>] = [],
    expected: UInt32? = nil
  )
    throws -> UInt32
  {
    var transaction = Transaction()
    transaction.removeElements(remove, set: setV4, table: table)
    transaction.addElements(add, set: setV4, table: table)
    return try apply(transaction, expectedGeneration: expected)
  }
}
