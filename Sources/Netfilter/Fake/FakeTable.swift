import AddressSet

/// One table as the fake keeps it: the structure plus the elements of its address sets.
struct FakeTable: Hashable, Sendable {
  var table: Table
  var v4: [String: RangeStore<IPv4Address>] = [:]
  var v6: [String: RangeStore<IPv6Address>] = [:]

  func elements(ofSet name: String) -> SetElements? {
    if let store = v4[name] { return .ipv4(store.ranges) }
    if let store = v6[name] { return .ipv6(store.ranges) }
    return nil
  }

  var allElements: [String: SetElements] {
    var result: [String: SetElements] = [:]
    for (name, store) in v4 { result[name] = .ipv4(store.ranges) }
    for (name, store) in v6 { result[name] = .ipv6(store.ranges) }
    return result
  }
}
