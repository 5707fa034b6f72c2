import AddressSet
import CNetfilter

/// Encodes a transaction as one batch: BATCH_BEGIN (carrying the expected generation, if any),
/// the structure changes in order, element removals, element additions, BATCH_END.
/// Only BATCH_END asks for an ACK: errors are sent anyway, and an ACK per message would
/// overflow the receive buffer on large batches.
enum BatchEncoder {
  static func encode(_ transaction: Transaction, expectedGeneration: UInt32?, firstSequence: UInt32)
    -> Batch
  {
    let batch = Batch(
      firstSequence: firstSequence, expectedGeneration: expectedGeneration,
      capacity: estimatedSize(of: transaction))
    var encoder = Encoder(batch: batch)
    encoder.begin()
    for change in transaction.structureChanges { encoder.encode(change) }
    for change in transaction.elementRemovals + transaction.elementAdditions {
      encoder.encode(change)
    }
    encoder.end()
    return batch
  }

  /// Enough for all elements (IPv4 elements take 16 or 24 bytes, IPv6 28 or 36), so that a
  /// large batch is allocated once.
  static func estimatedSize(of transaction: Transaction) -> Int {
    let elements = (transaction.elementRemovals + transaction.elementAdditions).reduce(0) {
      total, change in
      switch change.kind {
      case .add(let elements), .remove(let elements):
        total + elements.count * (elements.family == .ipv4 ? 48 : 72)
      case .flush: total
      }
    }
    return elements + elements / 50 + (transaction.structureChanges.count + 4)
      * NetlinkMessage.objectReserve
  }

  private struct Encoder {
    let batch: Batch
    let objects: ObjectMessages
    /// Batch-local ids of the sets created in this batch.
    var nextSetID: UInt32 = 1

    init(batch: Batch) {
      self.batch = batch
      objects = ObjectMessages(buffer: batch.buffer)
    }

    func begin() {
      let start = batch.buffer.beginMessage(reserving: 256)
      let header = nftnl_batch_begin(start.assumingMemoryBound(to: CChar.self), batch.nextSequence)!
      if let expected = batch.expectedGeneration {
        // Makes the kernel reject the whole batch with ERESTART if anything was committed since.
        mnl_attr_put_u32(header, UInt16(NFNL_BATCH_GENID.rawValue), expected.bigEndian)
      }
      batch.record(offset: batch.buffer.endMessage(header), .begin)
    }

    func end() {
      let start = batch.buffer.beginMessage(reserving: 256)
      let header = nftnl_batch_end(start.assumingMemoryBound(to: CChar.self), batch.nextSequence)!
      header.pointee.nlmsg_flags |= UInt16(NLM_F_ACK)
      batch.record(offset: batch.buffer.endMessage(header), .end)
    }

    mutating func encode(_ change: Transaction.StructureChange) {
      let sequence = batch.nextSequence
      switch change {
      case .addTable(let name):
        batch.record(
          offset: objects.table(
            NFT_MSG_NEWTABLE, name: name, flags: NetlinkMessage.create, sequence: sequence),
          .structure(change))
      case .deleteTable(let name):
        batch.record(
          offset: objects.table(NFT_MSG_DELTABLE, name: name, flags: 0, sequence: sequence),
          .structure(change))
      case .addSet(let table, let set):
        batch.record(
          offset: objects.newSet(set, table: table, id: takeSetID(), size: nil, sequence: sequence),
          .structure(change))
      case .addChain(let table, let name, let base):
        batch.record(
          offset: objects.newChain(name: name, base: base, table: table, sequence: sequence),
          .structure(change))
      case .flushChain(let table, let chain):
        batch.record(
          offset: objects.rule(
            nil, chain: chain, table: table, anonymousSetID: [:], sequence: sequence),
          .structure(change))
      case .deleteChain(let table, let chain):
        batch.record(
          offset: objects.deleteChain(name: chain, table: table, sequence: sequence),
          .structure(change))
      case .addRule(let table, let chain, let rule):
        var ids: [Int: UInt32] = [:]
        for (index, expression) in rule.expressions.enumerated() {
          if case .lookup(.anonymous(let keyType, let keys)) = expression {
            ids[index] = createAnonymousSet(keyType: keyType, keys: keys, table: table, for: change)
          }
        }
        batch.record(
          offset: objects.rule(
            rule, chain: chain, table: table, anonymousSetID: ids, sequence: batch.nextSequence),
          .structure(change))
      }
    }

    mutating func encode(_ change: Transaction.ElementChange) {
      let isAddition = if case .add = change.kind { true } else { false }
      let messages = ElementMessages(
        buffer: batch.buffer, command: isAddition ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM,
        flags: isAddition ? NetlinkMessage.createExclusive : 0, table: change.table, set: change.set
      )
      let spans: [ElementMessages.MessageSpan]
      switch change.kind {
      case .add(.ipv4(let ranges)), .remove(.ipv4(let ranges)):
        spans = messages.write(ranges, firstSequence: batch.nextSequence)
      case .add(.ipv6(let ranges)), .remove(.ipv6(let ranges)):
        spans = messages.write(ranges, firstSequence: batch.nextSequence)
      case .flush:
        spans = messages.writeFlush(firstSequence: batch.nextSequence)
      }
      for span in spans { batch.record(offset: span.offset, .elements(change)) }
    }

    private mutating func createAnonymousSet(
      keyType: SetKeyType, keys: [[UInt8]], table: String, for change: Transaction.StructureChange
    ) -> UInt32 {
      let id = takeSetID()
      let definition = SetDefinition(
        name: AnonymousSet.namePattern, keyType: keyType, flags: [.anonymous, .constant])
      batch.record(
        offset: objects.newSet(
          definition, table: table, id: id, size: UInt32(keys.count), sequence: batch.nextSequence),
        .anonymousSet(for: change))
      let elements = ElementMessages(
        buffer: batch.buffer, command: NFT_MSG_NEWSETELEM, flags: NetlinkMessage.create,
        table: table,
        set: AnonymousSet.namePattern, setID: id)
      for span in elements.write(keys: keys, firstSequence: batch.nextSequence) {
        batch.record(offset: span.offset, .anonymousSet(for: change))
      }
      return id
    }

    private mutating func takeSetID() -> UInt32 {
      defer { nextSetID += 1 }
      return nextSetID
    }
  }
}
