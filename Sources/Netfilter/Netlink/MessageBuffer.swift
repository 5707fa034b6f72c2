import CNetfilter
import Glibc

/// A contiguous, growing buffer of netlink messages, sent with one `send`.
///
/// libmnl and libnftnl write into raw memory without bounds checks, so every message starts
/// with `beginMessage(reserving:)`, which guarantees the room the message may need. The buffer
/// only moves (realloc) between messages, never while one is being written.
final class MessageBuffer {
  private var base: UnsafeMutableRawPointer
  private var capacity: Int
  private(set) var length = 0

  init(capacity: Int = 64 << 10) {
    self.capacity = max(capacity, 4096)
    base = malloc(self.capacity)!
  }

  deinit { free(base) }

  /// Where the next message starts, with at least `reserve` bytes of room. libmnl clears the
  /// header and pads attributes itself, so the room is not zeroed.
  func beginMessage(reserving reserve: Int) -> UnsafeMutableRawPointer {
    if length + reserve > capacity {
      capacity = max(capacity * 2, length + reserve)
      guard let grown = realloc(base, capacity) else {
        fatalError("out of memory for a netlink batch")
      }
      base = grown
    }
    return base + length
  }

  /// Takes the message written at `beginMessage`'s pointer into the buffer. Returns its offset.
  @discardableResult
  func endMessage(_ header: UnsafeMutablePointer<nlmsghdr>) -> Int {
    let offset = UnsafeMutableRawPointer(header) - base
    precondition(offset == length, "messages must be ended in the order they were begun")
    length += Int(header.pointee.nlmsg_len + 3) & ~3
    precondition(length <= capacity, "a netlink message overran its reserved room")
    return offset
  }

  var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: length) }

  /// The header of the message at `offset`, for reading what was sent.
  func message(at offset: Int) -> UnsafeRawBufferPointer {
    let header = (base + offset).assumingMemoryBound(to: nlmsghdr.self)
    return UnsafeRawBufferPointer(start: base + offset, count: Int(header.pointee.nlmsg_len))
  }
}
