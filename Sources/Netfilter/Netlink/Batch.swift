import CNetfilter

/// A transaction encoded as one netlink batch, and what each message in it was for, so that a
/// kernel error (which names the message by its sequence number) maps back to an operation.
final class Batch {
  enum Purpose {
    case begin
    case end
    case structure(Transaction.StructureChange)
    /// The anonymous set (and its elements) created for a rule's `{ … }`.
    case anonymousSet(for: Transaction.StructureChange)
    case elements(Transaction.ElementChange)
  }

  struct Message {
    var offset: Int
    var purpose: Purpose
  }

  let buffer: MessageBuffer
  let firstSequence: UInt32
  let expectedGeneration: UInt32?
  /// Indexed by sequence number minus `firstSequence`: sequence numbers are consecutive.
  private(set) var messages: [Message] = []

  init(firstSequence: UInt32, expectedGeneration: UInt32?, capacity: Int) {
    self.buffer = MessageBuffer(capacity: capacity)
    self.firstSequence = firstSequence
    self.expectedGeneration = expectedGeneration
  }

  var nextSequence: UInt32 { firstSequence &+ UInt32(messages.count) }
  var endSequence: UInt32 { nextSequence &- 1 }

  func record(offset: Int, _ purpose: Purpose) {
    messages.append(Message(offset: offset, purpose: purpose))
  }

  /// The message a reply with this sequence number answers, if it is one of ours.
  func message(sequence: UInt32) -> Message? {
    let index = Int(sequence &- firstSequence)
    return index < messages.count ? messages[index] : nil
  }
}
