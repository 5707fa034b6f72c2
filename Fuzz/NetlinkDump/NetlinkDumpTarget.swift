import AddressSet
import CNetfilter
import Foundation

@testable import Netfilter

/// The netlink reply decoding on damaged kernel messages: a received datagram is split into
/// messages (`NetlinkReplies`), error replies are picked apart (`ErrorReply`), set elements
/// are read without libnftnl (`ElementDecoder`) and rebuilt into ranges (`IntervalEncoding`),
/// and tables, sets, chains and rules go through libnftnl into `ExpressionDecoder`, exactly as
/// `NetlinkConnection`, `ElementReader` and `StructureReader` do with what the kernel sends.
enum NetlinkDumpTarget {
  static func test(_ bytes: UnsafeRawBufferPointer) {
    // The kernel's buffers are aligned; so is the receive buffer NetlinkConnection uses.
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 16)
    defer { buffer.deallocate() }
    if !bytes.isEmpty { buffer.copyMemory(from: bytes) }
    var ipv4: [IntervalElement<IPv4Address>] = []
    var ipv6: [IntervalElement<IPv6Address>] = []
    for reply in NetlinkReplies(bytes: UnsafeRawBufferPointer(buffer)) {
      precondition(reply.message.count >= 16, "a message shorter than its header")
      if let error = ErrorReply(reply) {
        _ = error.kernelMessage
        continue
      }
      ElementDecoder.forEachElement(inMessage: reply.message) { element in
        switch element.key.count {
        case 4:
          ipv4.append(
            IntervalElement(
              key: IPv4Address(bits: UInt32(bigEndianBytes: element.key)), isEnd: element.isEnd))
        case 16:
          ipv6.append(
            IntervalElement(
              key: IPv6Address(bits: UInt128(bigEndianBytes: element.key)), isEnd: element.isEnd))
        default: break
        }
      }
      decodeObject(reply)
    }
    checkRanges(IntervalEncoding.ranges(from: ipv4))
    checkRanges(IntervalEncoding.ranges(from: ipv6))
  }

  /// Ranges rebuilt from any element sequence are sorted and disjoint, as a set needs them.
  static func checkRanges<A: IPAddress>(_ ranges: [AddressRange<A>]) {
    for (previous, next) in zip(ranges, ranges.dropFirst()) {
      precondition(previous.last.bits < next.first.bits, "overlapping or unsorted ranges")
    }
    _ = IntervalSet(ranges: ranges).prefixes
  }

  /// The structure messages, through libnftnl as StructureReader reads them.
  static func decodeObject(_ reply: NetlinkReplies.Reply) {
    let subsystem = UInt16(NFNL_SUBSYS_NFTABLES) << 8
    guard reply.type & 0xff00 == subsystem else { return }
    switch UInt32(reply.type & 0xff) {
    case NFT_MSG_NEWGEN.rawValue:
      let generation = nftnl_gen_alloc()!
      defer { nftnl_gen_free(generation) }
      if nftnl_gen_nlmsg_parse(reply.header, generation) >= 0 {
        _ = nftnl_gen_get_u32(generation, attribute(NFTNL_GEN_ID))
      }
    case NFT_MSG_NEWTABLE.rawValue:
      let table = nftnl_table_alloc()!
      defer { nftnl_table_free(table) }
      if nftnl_table_nlmsg_parse(reply.header, table) >= 0 {
        _ = nftnl_table_get_u32(table, attribute(NFTNL_TABLE_FLAGS))
      }
    case NFT_MSG_NEWSET.rawValue:
      let set = nftnl_set_alloc()!
      defer { nftnl_set_free(set) }
      if nftnl_set_nlmsg_parse(reply.header, set) >= 0 {
        _ = string(nftnl_set_get_str(set, attribute(NFTNL_SET_NAME)))
        _ = string(nftnl_set_get_str(set, attribute(NFTNL_SET_TABLE)))
        _ =
          SetKeyType(
            type: nftnl_set_get_u32(set, attribute(NFTNL_SET_KEY_TYPE)),
            length: nftnl_set_get_u32(set, attribute(NFTNL_SET_KEY_LEN))
          ).addressFamily
        _ = SetFlags(rawValue: nftnl_set_get_u32(set, attribute(NFTNL_SET_FLAGS)))
      }
    case NFT_MSG_NEWCHAIN.rawValue:
      let chain = nftnl_chain_alloc()!
      defer { nftnl_chain_free(chain) }
      if nftnl_chain_nlmsg_parse(reply.header, chain) >= 0 {
        _ = string(nftnl_chain_get_str(chain, attribute(NFTNL_CHAIN_NAME)))
        if nftnl_chain_is_set(chain, attribute(NFTNL_CHAIN_HOOKNUM)) {
          _ =
            BaseChain(
              type: string(nftnl_chain_get_str(chain, attribute(NFTNL_CHAIN_TYPE))),
              hook: Hook(rawValue: nftnl_chain_get_u32(chain, attribute(NFTNL_CHAIN_HOOKNUM))),
              priority: nftnl_chain_get_s32(chain, attribute(NFTNL_CHAIN_PRIO)),
              policy: Policy(rawValue: nftnl_chain_get_u32(chain, attribute(NFTNL_CHAIN_POLICY)))
            ).description
        }
      }
    case NFT_MSG_NEWRULE.rawValue:
      let rule = nftnl_rule_alloc()!
      defer { nftnl_rule_free(rule) }
      if nftnl_rule_nlmsg_parse(reply.header, rule) >= 0 {
        let decoded = ExpressionDecoder(anonymousSets: [:]).decode(rule: rule)
        _ = Rule(decoded.expressions, counter: decoded.counter).description
      }
    default:
      break
    }
  }

  static func string(_ pointer: UnsafePointer<CChar>?) -> String {
    pointer.map { String(cString: $0) } ?? ""
  }

  /// Real datagrams (NetlinkDumpSeeds.swift) and hand-made error replies.
  static let seeds: [[UInt8]] =
    capturedDatagrams.compactMap { Data(base64Encoded: $0).map { [UInt8]($0) } } + errorReplies

  /// NLMSG_ERROR for a failed batch message: errno, the echoed header (capped), and the
  /// extended-ACK attributes (offset of the bad attribute, the kernel's message).
  static let errorReplies: [[UInt8]] = [-2, -17, -16, 0, Int32.min + 1].map { code in
    var payload = withUnsafeBytes(of: code.littleEndian) { Array($0) }
    payload += [36, 0, 0, 0, 0x0a, 0x0a, 0x05, 0x00, 7, 0, 0, 0, 0, 0, 0, 0]
    payload += [8, 0, 2, 0, 20, 0, 0, 0]  // NLMSGERR_ATTR_OFFS
    payload += [12, 0, 1, 0] + Array("Busy\0\0\0\0".utf8).prefix(8)  // NLMSGERR_ATTR_MSG
    let length = UInt32(16 + payload.count)
    var header = withUnsafeBytes(of: length.littleEndian) { Array($0) }
    header += [2, 0, 0x00, 0x03, 7, 0, 0, 0, 0, 0, 0, 0]  // NLMSG_ERROR, CAPPED | ACK_TLVS
    return header + payload
  }

  static let dictionary: [String] = []
}
