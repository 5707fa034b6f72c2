import CNetfilter

/// The netlink messages in one received datagram.
struct NetlinkReplies: Sequence {
  let bytes: UnsafeRawBufferPointer

  struct Reply {
    var type: UInt16
    var flags: UInt16
    var sequence: UInt32
    /// The whole message, header included.
    var message: UnsafeRawBufferPointer
    var header: UnsafePointer<nlmsghdr> {
      message.baseAddress!.assumingMemoryBound(to: nlmsghdr.self)
    }
  }

  struct Iterator: IteratorProtocol {
    let bytes: UnsafeRawBufferPointer
    var position = 0

    mutating func next() -> Reply? {
      guard position + 16 <= bytes.count else { return nil }
      let length = Int(bytes.loadUnaligned(fromByteOffset: position, as: UInt32.self))
      guard length >= 16, position + length <= bytes.count else { return nil }
      let reply = Reply(
        type: bytes.loadUnaligned(fromByteOffset: position + 4, as: UInt16.self),
        flags: bytes.loadUnaligned(fromByteOffset: position + 6, as: UInt16.self),
        sequence: bytes.loadUnaligned(fromByteOffset: position + 8, as: UInt32.self),
        message: UnsafeRawBufferPointer(rebasing: bytes[position..<(position + length)]))
      position += (length + 3) & ~3
      return reply
    }
  }

  func makeIterator() -> Iterator { Iterator(bytes: bytes) }
}

/// An NLMSG_ERROR reply: an ACK when `errno` is 0, else the kernel's error for the message
/// with `failedSequence`, with the offset of the offending attribute when the kernel gave one.
struct ErrorReply {
  var errno: Int32
  var failedSequence: UInt32
  var attributeOffset: Int?
  var kernelMessage: String?

  init?(_ reply: NetlinkReplies.Reply) {
    guard reply.type == UInt16(NLMSG_ERROR), reply.message.count >= 16 + 20 else { return nil }
    let payload = UnsafeRawBufferPointer(rebasing: reply.message[16...])
    // Wrapping: a damaged reply holding Int32.min must not trap.
    errno = 0 &- payload.loadUnaligned(as: Int32.self)
    failedSequence = payload.loadUnaligned(fromByteOffset: 4 + 8, as: UInt32.self)
    // With NETLINK_CAP_ACK only the failed message's header is echoed; TLVs follow it.
    let echoed =
      reply.flags & UInt16(NLM_F_CAPPED) != 0
      ? 16 : Int(payload.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
    let tlvStart = 4 + ((echoed + 3) & ~3)
    guard reply.flags & UInt16(NLM_F_ACK_TLVS) != 0, tlvStart <= payload.count else { return }
    for attribute in Attributes(bytes: UnsafeRawBufferPointer(rebasing: payload[tlvStart...])) {
      switch Int(attribute.type) {
      case Int(NLMSGERR_ATTR_OFFS.rawValue):
        attributeOffset =
          attribute.payload.count >= 4 ? Int(attribute.payload.loadUnaligned(as: UInt32.self)) : nil
      case Int(NLMSGERR_ATTR_MSG.rawValue):
        kernelMessage = attribute.string
      default: break
      }
    }
  }
}
