/// Netlink attributes (type-length-value, 4-byte aligned) read straight from bytes, with
/// bounds checks: for the hot path of element dumps and for picking apart error replies.
struct Attributes: Sequence {
  let bytes: UnsafeRawBufferPointer
  /// Where `bytes` starts within the enclosing message, so attributes can report offsets.
  var baseOffset = 0

  struct Attribute {
    /// The type without the nested / byte-order flags.
    var type: UInt16
    var payload: UnsafeRawBufferPointer
    /// Offset of the attribute header within the enclosing message.
    var offset: Int
    var length: Int

    var nested: Attributes { Attributes(bytes: payload, baseOffset: offset + 4) }

    /// A u32 attribute, which netfilter sends in network byte order.
    var bigEndianUInt32: UInt32? {
      payload.count >= 4 ? UInt32(bigEndian: payload.loadUnaligned(as: UInt32.self)) : nil
    }

    var string: String {
      let end = payload.firstIndex(of: 0) ?? payload.count
      return String(decoding: payload[..<end], as: UTF8.self)
    }
  }

  struct Iterator: IteratorProtocol {
    let bytes: UnsafeRawBufferPointer
    let baseOffset: Int
    var position = 0

    mutating func next() -> Attribute? {
      guard position + 4 <= bytes.count else { return nil }
      let length = Int(bytes.loadUnaligned(fromByteOffset: position, as: UInt16.self))
      let type = bytes.loadUnaligned(fromByteOffset: position + 2, as: UInt16.self) & 0x3fff
      guard length >= 4, position + length <= bytes.count else { return nil }
      let attribute = Attribute(
        type: type,
        payload: UnsafeRawBufferPointer(rebasing: bytes[(position + 4)..<(position + length)]),
        offset: baseOffset + position, length: length)
      position += (length + 3) & ~3
      return attribute
    }
  }

  func makeIterator() -> Iterator { Iterator(bytes: bytes, baseOffset: baseOffset) }

  func first(type: UInt16) -> Attribute? { first { $0.type == type } }
}

extension Attributes {
  /// The attributes of a netfilter message: after the 16-byte netlink header and the 4-byte
  /// `nfgenmsg`.
  init(netfilterMessage message: UnsafeRawBufferPointer) {
    let start = Swift.min(20, message.count)
    self.init(bytes: UnsafeRawBufferPointer(rebasing: message[start...]), baseOffset: start)
  }
}
