import AddressSet
import CNetfilter

/// Writes NEWSETELEM / DELSETELEM messages with libmnl, straight from the ranges: one libnftnl
/// object per element would cost about five times the memory for large sets.
///
/// The elements nest has a 16-bit length, so the elements are split across messages of at
/// most `nestBudget` bytes (about 3,000 IPv4 or 1,800 IPv6 elements). A range's start and end
/// stay in the same message.
struct ElementMessages {
  let buffer: MessageBuffer
  let command: nf_tables_msg_types
  let flags: UInt16
  let table: String
  let set: String
  /// For an anonymous set created in the same batch, whose name the kernel has not assigned yet.
  var setID: UInt32? = nil

  static let nestBudget = 60_000
  private static let largestElement = 40  // an IPv6 end element: nest, key nest, 16-byte key, flags

  /// Writes the ranges' interval elements. Returns the offset of each message in the buffer.
  func write<A: IPAddress>(_ ranges: [AddressRange<A>], firstSequence: UInt32) -> [MessageSpan] {
    var writer = Writer(messages: self, nextSequence: firstSequence)
    for range in ranges {
      writer.makeRoom(for: 2)
      IntervalEncoding.forEachElement(of: CollectionOfOne(range)) { key, isEnd in
        withUnsafeBytes(of: key.bits.bigEndian) { writer.element(key: $0, isEnd: isEnd) }
      }
    }
    return writer.finish()
  }

  /// Writes plain keys (an anonymous set's `{ 80, 443 }`).
  func write(keys: [[UInt8]], firstSequence: UInt32) -> [MessageSpan] {
    var writer = Writer(messages: self, nextSequence: firstSequence)
    for key in keys {
      writer.makeRoom(for: 1)
      key.withUnsafeBytes { writer.element(key: $0, isEnd: false) }
    }
    return writer.finish()
  }

  /// A DELSETELEM without elements: removes every element of the set.
  func writeFlush(firstSequence: UInt32) -> [MessageSpan] {
    var writer = Writer(messages: self, nextSequence: firstSequence)
    writer.begin(withElements: false)
    return writer.finish()
  }

  /// One message written to the buffer.
  struct MessageSpan {
    var sequence: UInt32
    var offset: Int
  }

  private struct Writer {
    let messages: ElementMessages
    var nextSequence: UInt32
    var header: UnsafeMutablePointer<nlmsghdr>?
    var nest: UnsafeMutablePointer<nlattr>?
    var nestStart = 0
    var spans: [MessageSpan] = []

    init(messages: ElementMessages, nextSequence: UInt32) {
      self.messages = messages
      self.nextSequence = nextSequence
    }

    mutating func makeRoom(for elements: Int) {
      if let header,
        Int(header.pointee.nlmsg_len) - nestStart + elements * largestElement <= nestBudget
      {
        return
      }
      end()
      begin(withElements: true)
    }

    mutating func begin(withElements: Bool) {
      let reserve = 1024 + messages.table.utf8.count + messages.set.utf8.count + nestBudget
      let start = messages.buffer.beginMessage(reserving: reserve)
      let seq = nextSequence
      nextSequence &+= 1
      let header = nftnl_nlmsg_build_hdr(
        start.assumingMemoryBound(to: CChar.self), NetlinkMessage.type(messages.command),
        NetlinkMessage.family, messages.flags, seq)!
      mnl_attr_put_strz(header, attribute(NFTA_SET_ELEM_LIST_TABLE), messages.table)
      mnl_attr_put_strz(header, attribute(NFTA_SET_ELEM_LIST_SET), messages.set)
      if let id = messages.setID {
        mnl_attr_put_u32(header, attribute(NFTA_SET_ELEM_LIST_SET_ID), id.bigEndian)
      }
      self.header = header
      if withElements {
        nest = mnl_attr_nest_start(header, attribute(NFTA_SET_ELEM_LIST_ELEMENTS))
        nestStart = Int(header.pointee.nlmsg_len)
      }
    }

    mutating func element(key: UnsafeRawBufferPointer, isEnd: Bool) {
      let header = header!
      let element = mnl_attr_nest_start(header, attribute(NFTA_LIST_ELEM))
      let keyNest = mnl_attr_nest_start(header, attribute(NFTA_SET_ELEM_KEY))
      mnl_attr_put(header, attribute(NFTA_DATA_VALUE), key.count, key.baseAddress)
      mnl_attr_nest_end(header, keyNest)
      if isEnd {
        mnl_attr_put_u32(
          header, attribute(NFTA_SET_ELEM_FLAGS),
          UInt32(NFT_SET_ELEM_INTERVAL_END.rawValue).bigEndian)
      }
      mnl_attr_nest_end(header, element)
    }

    mutating func end() {
      guard let header else { return }
      if let nest { mnl_attr_nest_end(header, nest) }
      let offset = messages.buffer.endMessage(header)
      spans.append(MessageSpan(sequence: header.pointee.nlmsg_seq, offset: offset))
      self.header = nil
      self.nest = nil
    }

    mutating func finish() -> [MessageSpan] {
      end()
      return spans
    }
  }
}
