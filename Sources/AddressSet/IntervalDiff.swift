/// What turns the ranges stored in the kernel into a desired set, element for element.
///
/// nftables deletes an interval only when named by exactly its stored start and end, so a
/// range that grows, shrinks or splits is removed whole and its replacement added: `remove`
/// holds stored ranges verbatim, `add` the desired ranges that are not stored. Apply all
/// removals before any addition.
public struct IntervalDiff<Address: IPAddress>: Hashable, Sendable {
  public let remove: [AddressRange<Address>]
  public let add: [AddressRange<Address>]

  /// - Parameters:
  ///   - current: ranges as stored, which need not be canonical (touching ranges may be
  ///     stored apart) but never overlap.
  ///   - desired: the set the kernel should hold afterwards.
  @inlinable public init(
    current: some Sequence<AddressRange<Address>>, desired: IntervalSet<Address>
  ) {
    var stored = Array(current)
    // Ranges read back or saved are usually sorted already; checking costs one pass.
    let ascending: (AddressRange<Address>, AddressRange<Address>) -> Bool = {
      ($0.first.bits, $0.last.bits) < ($1.first.bits, $1.last.bits)
    }
    if zip(stored, stored.dropFirst()).contains(where: { !ascending($0, $1) }) {
      stored.sort(by: ascending)
    }
    let wanted = desired.ranges
    var remove: [AddressRange<Address>] = []
    var add: [AddressRange<Address>] = []
    var i = 0
    var j = 0
    while i < stored.count && j < wanted.count {
      let have = stored[i]
      let want = wanted[j]
      if have == want {
        i += 1
        j += 1
      } else if have.first < want.first || (have.first == want.first && have.last < want.last) {
        remove.append(have)
        i += 1
      } else {
        add.append(want)
        j += 1
      }
    }
    remove.append(contentsOf: stored[i...])
    add.append(contentsOf: wanted[j...])
    self.remove = remove
    self.add = add
  }

  @inlinable public init(current: IntervalSet<Address>, desired: IntervalSet<Address>) {
    self.init(current: current.ranges, desired: desired)
  }

  public var isEmpty: Bool { remove.isEmpty && add.isEmpty }
}
