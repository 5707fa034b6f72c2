import AddressSet
import CNetfilter

/// Dumps a set's elements (GETSETELEM) and rebuilds its ranges.
struct ElementReader {
  let connection: NetlinkConnection

  /// The interval elements of an address set, as ranges.
  func ranges<A: IPAddress>(table: String, set: String, as type: A.Type) throws(NetfilterError)
    -> [AddressRange<A>]
  {
    var elements: [IntervalElement<A>] = []
    let byteCount = A.bitWidth / 8
    try dump(table: table, set: set) { element in
      guard element.key.count == byteCount else { return }
      elements.append(
        IntervalElement(key: A(bits: A.Bits(bigEndianBytes: element.key)), isEnd: element.isEnd))
    }
    return IntervalEncoding.ranges(from: elements)
  }

  /// The keys of a plain set, as the kernel stores them.
  func keys(table: String, set: String) throws(NetfilterError) -> [[UInt8]] {
    var keys: [[UInt8]] = []
    try dump(table: table, set: set) { keys.append(Array($0.key)) }
    return keys
  }

  private func dump(table: String, set: String, _ body: (ElementDecoder.Element) -> Void)
    throws(NetfilterError)
  {
    let found = try connection.request(
      NFT_MSG_GETSETELEM, dump: true, operation: "list set \(table) \(set)",
      build: { header in
        mnl_attr_put_strz(header, attribute(NFTA_SET_ELEM_LIST_TABLE), table)
        mnl_attr_put_strz(header, attribute(NFTA_SET_ELEM_LIST_SET), set)
      },
      handle: { reply in ElementDecoder.forEachElement(inMessage: reply.message, body) })
    if !found { throw .objectMissing(operation: "list set \(table) \(set)") }
  }
}
