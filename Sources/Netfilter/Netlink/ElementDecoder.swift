import AddressSet
import CNetfilter

/// Reads set elements from NEWSETELEM messages (a dump, or a message we sent), without
/// libnftnl objects: a dump of a large set has hundreds of thousands of them.
enum ElementDecoder {
  struct Element {
    var key: UnsafeRawBufferPointer
    var isEnd: Bool
  }

  private static let key = UInt16(NFTA_SET_ELEM_KEY.rawValue)
  private static let flags = UInt16(NFTA_SET_ELEM_FLAGS.rawValue)
  private static let value = UInt16(NFTA_DATA_VALUE.rawValue)
  private static let elements = UInt16(NFTA_SET_ELEM_LIST_ELEMENTS.rawValue)
  private static let intervalEnd = UInt32(NFT_SET_ELEM_INTERVAL_END.rawValue)

  static func decode(_ element: Attributes.Attribute) -> Element? {
    var key: UnsafeRawBufferPointer?
    var isEnd = false
    for attribute in element.nested {
      if attribute.type == Self.key {
        key = attribute.nested.first(type: value)?.payload
      } else if attribute.type == flags {
        isEnd = (attribute.bigEndianUInt32 ?? 0) & intervalEnd != 0
      }
    }
    return key.map { Element(key: $0, isEnd: isEnd) }
  }

  /// Calls `body` for each element of one NEWSETELEM message.
  static func forEachElement(inMessage message: UnsafeRawBufferPointer, _ body: (Element) -> Void) {
    guard let list = Attributes(netfilterMessage: message).first(type: elements) else { return }
    for attribute in list.nested {
      if let element = decode(attribute) { body(element) }
    }
  }
}
