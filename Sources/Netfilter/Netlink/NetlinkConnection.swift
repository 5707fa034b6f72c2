import CNetfilter
import Glibc

/// Request/reply and batch exchanges over one socket. Not thread-safe: `NetlinkBackend` holds
/// it behind a lock.
final class NetlinkConnection {
  let socket: NetlinkSocket
  private let receiveBuffer: UnsafeMutableRawBufferPointer

  init(socket: NetlinkSocket) {
    self.socket = socket
    // A dump datagram holds at most about 32 KB; errors of a failed batch are smaller.
    receiveBuffer = .allocate(byteCount: 256 << 10, alignment: 16)
  }

  deinit { receiveBuffer.deallocate() }

  /// Sends one request built by `build` and hands every reply message to `handle` until the
  /// dump is done or the request is acknowledged. `operation` names the request in errors.
  /// Returns false when the kernel answered ENOENT (no such object), which callers may treat
  /// as "absent".
  @discardableResult
  func request(
    _ command: nf_tables_msg_types, dump: Bool, operation: String,
    build: (UnsafeMutablePointer<nlmsghdr>) -> Void = { _ in },
    handle: (NetlinkReplies.Reply) throws(NetfilterError) -> Void = { _ throws(NetfilterError) in }
  ) throws(NetfilterError) -> Bool {
    discardStaleReplies()
    let sequence = socket.nextSequence
    socket.skipSequences(1)
    let message = MessageBuffer(capacity: 4096)
    let start = message.beginMessage(reserving: 4096)
    let flags = NetlinkMessage.acknowledge | (dump ? NetlinkMessage.dump : 0)
    let header = nftnl_nlmsg_build_hdr(
      start.assumingMemoryBound(to: CChar.self), NetlinkMessage.type(command),
      NetlinkMessage.family, flags,
      sequence)!
    build(header)
    message.endMessage(header)
    try socket.send(message.bytes)

    while true {
      guard let count = try socket.receive(into: receiveBuffer, wait: true) else { continue }
      for reply in NetlinkReplies(bytes: UnsafeRawBufferPointer(rebasing: receiveBuffer[..<count]))
      where reply.sequence == sequence {
        if reply.type == UInt16(NLMSG_DONE) { return true }
        if let error = ErrorReply(reply) {
          if error.errno == 0 { if !dump { return true } else { continue } }
          if error.errno == ENOENT { return false }
          throw KernelErrors.error(errno: error.errno, operation: operation)
        }
        if reply.flags & UInt16(NLM_F_DUMP_INTR) != 0 { throw .generationChanged(expected: nil) }
        try handle(reply)
      }
    }
  }

  /// Encodes the transaction as one batch and runs it.
  func commit(_ transaction: Transaction, expectedGeneration: UInt32?) throws(NetfilterError) {
    let batch = BatchEncoder.encode(
      transaction, expectedGeneration: expectedGeneration, firstSequence: socket.nextSequence)
    socket.skipSequences(batch.messages.count)
    try run(batch)
  }

  /// Sends the batch and collects what the kernel queued while running it: errors for failed
  /// messages and, on kernels from 6.10, the ACK of BATCH_END. Older kernels do not ACK the
  /// batch end; there no error is the success signal (as for `nft`).
  func run(_ batch: Batch) throws(NetfilterError) {
    discardStaleReplies()
    try socket.send(batch.buffer.bytes)
    var failures: [ErrorReply] = []
    do throws(NetfilterError) {
      try collectReplies(to: batch, failures: &failures)
    } catch {
      // An error queued before the receive buffer overflowed means the batch was aborted:
      // that error is the outcome. Without one, the outcome is unknown.
      if failures.isEmpty { throw error }
    }
    if !failures.isEmpty { throw KernelErrors.error(for: failures, in: batch) }
  }

  /// Reads what is queued, without waiting: the kernel ran the batch inside `send`.
  private func collectReplies(to batch: Batch, failures: inout [ErrorReply]) throws(NetfilterError)
  {
    while let count = try socket.receive(into: receiveBuffer, wait: false) {
      for reply in NetlinkReplies(bytes: UnsafeRawBufferPointer(rebasing: receiveBuffer[..<count]))
      {
        guard let error = ErrorReply(reply), batch.message(sequence: error.failedSequence) != nil
        else {
          continue
        }
        if error.errno != 0 {
          failures.append(error)
        } else if error.failedSequence == batch.endSequence {
          return  // the batch-end ACK comes last
        }
      }
    }
  }

  /// Replies nobody waits for any more (an earlier request that failed midway) would confuse
  /// the next exchange.
  private func discardStaleReplies() {
    while (try? socket.receive(into: receiveBuffer, wait: false)) != nil {}
  }
}
