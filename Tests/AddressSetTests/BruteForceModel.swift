import AddressSet

/// A 64-address window of an address space, with the set of its members spelled out one by
/// one: the slow, obviously right model the interval code is checked against. Windows sit at
/// the bottom and the top of each family's space, where overflow bugs live.
struct Window<Address: IPAddress>: Sendable {
  static var size: Int { 64 }
  let base: Address.Bits

  static var bottom: Window { Window(base: 0) }
  static var top: Window { Window(base: Address.Bits.max - Address.Bits(size - 1)) }

  func address(_ offset: Int) -> Address { Address(bits: base + Address.Bits(offset)) }

  /// A prefix inside the window from an offset and a length of at most 6 host bits.
  func prefix(offset: Int, hostBits: Int) -> IPPrefix<Address> {
    IPPrefix(address(offset), length: Address.bitWidth - hostBits)
  }

  func members(of prefixes: [IPPrefix<Address>]) -> Set<Int> {
    Set((0..<Self.size).filter { offset in prefixes.contains { $0.contains(address(offset)) } })
  }

  func members(of set: IntervalSet<Address>) -> Set<Int> {
    Set((0..<Self.size).filter { set.contains(address($0)) })
  }

  func members(of ranges: [AddressRange<Address>]) -> Set<Int> {
    Set((0..<Self.size).filter { offset in ranges.contains { $0.contains(address(offset)) } })
  }

  /// The minimal CIDR cover of `members`, found by merging sibling blocks until none merge.
  func minimalPrefixes(_ members: Set<Int>) -> Set<IPPrefix<Address>> {
    var blocks = Set(members.map { prefix(offset: $0, hostBits: 0) })
    var merged = true
    while merged {
      merged = false
      for block in blocks where block.length > Address.bitWidth - 6 {
        let parent = IPPrefix(block.network, length: block.length - 1)
        let halves = [
          IPPrefix(parent.network, length: block.length),
          IPPrefix(
            Address(
              bits: parent.network.bits
                | (Address.Bits(1) << Address.Bits(Address.bitWidth - block.length))),
            length: block.length),
        ]
        if halves.allSatisfy(blocks.contains) {
          blocks.subtract(halves)
          blocks.insert(parent)
          merged = true
          break
        }
      }
    }
    return blocks
  }
}
