import CNetfilter
import Glibc
import Synchronization

/// A netlink socket subscribed to nf_tables' event group (`NFNLGRP_NFTABLES`): every commit in
/// the namespace is announced as one message per changed object, then `NEWGEN` with the new
/// generation and the committer's port id. Messages are gathered per commit and delivered as
/// one `RulesetCommit` when its `NEWGEN` arrives.
final class NetlinkEventSubscription: RulesetSubscription {
  private struct State {
    let socket: NetlinkSocket
    let buffer: UnsafeMutableRawBufferPointer
    /// What the commit being announced changed so far.
    var pending: Set<RulesetChange> = []
    /// Set when announcements were dropped: the commit whose `NEWGEN` comes next may be
    /// missing some of its changes, so it is not delivered (`.eventsLost` stands for it).
    var incomplete = false
  }

  private let state: Mutex<State>
  private let descriptor: Int32
  /// The port id of the backend's socket: commits it sent are ours.
  private let ownPortID: UInt32

  init(socket: sending NetlinkSocket, ownPortID: UInt32) throws(NetfilterError) {
    var group = UInt32(NFNLGRP_NFTABLES.rawValue)
    guard
      setsockopt(
        socket.fileDescriptor, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group,
        socklen_t(MemoryLayout<UInt32>.size)) == 0
    else {
      throw errno == EPERM
        ? .permissionDenied(operation: "subscribe to nf_tables events")
        : .kernel(operation: "subscribe to nf_tables events", errno: errno)
    }
    descriptor = socket.fileDescriptor
    self.ownPortID = ownPortID
    // Announcements of several objects share a datagram of up to a page or so.
    state = Mutex(State(socket: socket, buffer: .allocate(byteCount: 64 << 10, alignment: 16)))
  }

  deinit { state.withLock { $0.buffer.deallocate() } }

  func wait(timeout: Duration) throws(NetfilterError) -> Bool {
    var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
    let milliseconds =
      timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000
    let ready = poll(&poller, 1, Int32(clamping: max(0, milliseconds)))
    if ready < 0 {
      if errno == EINTR { return false }
      throw .kernel(operation: "wait for nf_tables events", errno: errno)
    }
    return ready > 0
  }

  func drain() throws(NetfilterError) -> [RulesetEvent] {
    try state.withLock { state throws(NetfilterError) in
      var events: [RulesetEvent] = []
      while true {
        let received: Int?
        do throws(NetfilterError) {
          received = try state.socket.receive(into: state.buffer, wait: false)
        } catch .outcomeUnknown {
          // ENOBUFS: the queue overflowed and announcements were dropped.
          state.pending = []
          state.incomplete = true
          if events.last != .eventsLost { events.append(.eventsLost) }
          continue
        }
        guard let count = received else { return events }
        let bytes = UnsafeRawBufferPointer(rebasing: state.buffer[..<count])
        for reply in NetlinkReplies(bytes: bytes) {
          guard let commit = Self.take(reply, pending: &state.pending, ownPortID: ownPortID)
          else { continue }
          if state.incomplete {
            state.incomplete = false
          } else {
            events.append(.commit(commit))
          }
        }
      }
    }
  }

  /// Adds one announcement to the pending commit; returns the commit at its `NEWGEN`.
  private static func take(
    _ reply: NetlinkReplies.Reply, pending: inout Set<RulesetChange>, ownPortID: UInt32
  ) -> RulesetCommit? {
    guard reply.type >> 8 == UInt16(NFNL_SUBSYS_NFTABLES), reply.message.count >= 20 else {
      return nil
    }
    let family = reply.message[16]
    let attributes = Attributes(netfilterMessage: reply.message)
    let portID = reply.message.loadUnaligned(fromByteOffset: 12, as: UInt32.self)
    let command = UInt32(reply.type & 0xff)
    if command == NFT_MSG_NEWGEN.rawValue {
      guard let generation = attributes.first(type: 1)?.bigEndianUInt32 else { return nil }
      let process = attributes.first(type: 2)?.bigEndianUInt32.map { pid in
        CommittingProcess(pid: pid, name: attributes.first(type: 3)?.string ?? "?")
      }
      defer { pending = [] }
      return RulesetCommit(
        generation: generation, changes: pending, isOwn: portID == ownPortID, process: process)
    }
    guard let (object, action) = Self.kinds[command],
      // The table's name is attribute 1 of every object's message.
      let table = attributes.first(type: 1)?.string
    else { return nil }
    pending.insert(RulesetChange(object, action, family: family, table: table))
    return nil
  }

  private static let kinds: [UInt32: (RulesetChange.Object, RulesetChange.Action)] = [
    NFT_MSG_NEWTABLE.rawValue: (.table, .added), NFT_MSG_DELTABLE.rawValue: (.table, .deleted),
    NFT_MSG_NEWCHAIN.rawValue: (.chain, .added), NFT_MSG_DELCHAIN.rawValue: (.chain, .deleted),
    NFT_MSG_NEWRULE.rawValue: (.rule, .added), NFT_MSG_DELRULE.rawValue: (.rule, .deleted),
    NFT_MSG_NEWSET.rawValue: (.set, .added), NFT_MSG_DELSET.rawValue: (.set, .deleted),
    NFT_MSG_NEWSETELEM.rawValue: (.element, .added),
    NFT_MSG_DELSETELEM.rawValue: (.element, .deleted),
    NFT_MSG_NEWOBJ.rawValue: (.object, .added), NFT_MSG_DELOBJ.rawValue: (.object, .deleted),
    NFT_MSG_NEWFLOWTABLE.rawValue: (.flowtable, .added),
    NFT_MSG_DELFLOWTABLE.rawValue: (.flowtable, .deleted),
  ]
}
