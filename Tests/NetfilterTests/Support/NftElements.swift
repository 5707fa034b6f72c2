import AddressSet
import Foundation
import TestSupport

extension ThrowawayNamespace {
  /// The addresses of a set as `nft -j list set` reports them, as an interval set.
  func nftAddresses<A: IPAddress>(of set: String, table: String = "origin_guard", as type: A.Type)
    throws
    -> IntervalSet<A>
  {
    let items = try nftJSON("list", "set", "inet", table, set)
    guard let object = items.first?["set"] as? [String: Any] else { return IntervalSet() }
    let elements = object["elem"] as? [Any] ?? []
    return IntervalSet(
      ranges: elements.map { element in
        if let text = element as? String { return Self.range(text, A.self) }
        let dictionary = element as! [String: Any]
        if let prefix = dictionary["prefix"] as? [String: Any] {
          return Self.range("\(prefix["addr"]!)/\(prefix["len"]!)", A.self)
        }
        let bounds = dictionary["range"] as! [String]
        return AddressRange(
          first: Self.range(bounds[0], A.self).first, last: Self.range(bounds[1], A.self).first)
      })
  }

  /// Whether `nft get element` finds the address in the set (exit status).
  func nftContains(_ address: String, set: String, table: String = "origin_guard") throws -> Bool {
    try nft("get", "element", "inet", table, set, "{ \(address) }", check: false).succeeded
  }

  private static func range<A: IPAddress>(_ text: String, _ type: A.Type) -> AddressRange<A> {
    switch try! PrefixParser.parse(text).prefix {
    case .v4(let prefix): return prefix.range as! AddressRange<A>
    case .v6(let prefix): return prefix.range as! AddressRange<A>
    }
  }
}
