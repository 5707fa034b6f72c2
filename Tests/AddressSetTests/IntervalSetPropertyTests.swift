import AddressSet
import PropertyBased
import Testing

/// Merge, membership, prefix conversion, set algebra and diff against the brute-force model,
/// in windows at both ends of both families' address spaces.
@Suite("Interval sets agree with a brute-force model")
struct IntervalSetPropertyTests {
  /// Up to 12 prefixes, each an (offset, host bits) pair inside a 64-address window.
  static let prefixList = zip(Gen.int(in: 0..<64), Gen.int(in: 0...6)).array(of: 0...12)

  static let windows4: [Window<IPv4Address>] = [.bottom, .top]
  static let windows6: [Window<IPv6Address>] = [
    .bottom, .top, Window(base: UInt128(0x2001_0db8) << 96),
  ]

  @Test(arguments: windows4) func ipv4(_ window: Window<IPv4Address>) async {
    await checkAll(window)
  }
  @Test(arguments: windows6) func ipv6(_ window: Window<IPv6Address>) async {
    await checkAll(window)
  }

  func checkAll<A: IPAddress>(_ window: Window<A>) async {
    await propertyCheck(count: 300, input: Self.prefixList, Self.prefixList) { first, second in
      let a = first.map { window.prefix(offset: $0.0, hostBits: $0.1) }
      let b = second.map { window.prefix(offset: $0.0, hostBits: $0.1) }
      let setA = IntervalSet(prefixes: a)
      let setB = IntervalSet(prefixes: b)
      let modelA = window.members(of: a)
      let modelB = window.members(of: b)

      // Membership, and nothing leaks outside the window.
      #expect(window.members(of: setA) == modelA)
      if window.base != 0 { #expect(!setA.contains(A(bits: window.base - 1))) }
      if let after = window.address(Window<A>.size - 1).successor { #expect(!setA.contains(after)) }

      // Canonical: sorted, neither overlapping nor touching; order of input is irrelevant.
      for (left, right) in zip(setA.ranges, setA.ranges.dropFirst()) {
        #expect(left.last < right.first && left.last.successor != right.first)
      }
      #expect(IntervalSet(prefixes: a.reversed()) == setA)

      // Minimal prefixes, and the round trip prefixes → intervals → prefixes.
      #expect(Set(setA.prefixes) == window.minimalPrefixes(modelA))
      #expect(setA.prefixCount == setA.prefixes.count)
      #expect(IntervalSet(prefixes: setA.prefixes).prefixes == setA.prefixes)
      #expect(setA.addressCount == AddressCount(UInt128(modelA.count)))

      // Set algebra.
      #expect(window.members(of: setA.union(setB)) == modelA.union(modelB))
      #expect(window.members(of: setA.subtracting(setB)) == modelA.subtracting(modelB))
      #expect(window.members(of: setA.intersection(setB)) == modelA.intersection(modelB))

      // Diff: removing then adding, element by element, turns the stored ranges into desired.
      let diff = IntervalDiff(current: setA, desired: setB)
      #expect(diff.remove.allSatisfy(setA.ranges.contains))
      #expect(diff.add.allSatisfy(setB.ranges.contains))
      #expect(!diff.remove.contains(where: setB.ranges.contains))
      let applied = setA.ranges.filter { !diff.remove.contains($0) } + diff.add
      #expect(IntervalSet(ranges: applied).ranges == setB.ranges)
      #expect(Set(applied) == Set(setB.ranges))
      #expect(diff.isEmpty == (setA == setB))
    }
  }

  /// The kernel may store touching ranges apart (another tool, or `nft -f` without
  /// auto-merge); the diff must still name exactly the stored elements.
  @Test func diffAgainstNonCanonicalStoredRanges() async {
    let window = Window<IPv4Address>.top
    await propertyCheck(count: 300, input: Self.prefixList, Self.prefixList) { first, second in
      let stored = IntervalSet(prefixes: first.map { window.prefix(offset: $0.0, hostBits: $0.1) })
        .prefixes.map(\.range)  // split into prefix-sized pieces, touching each other
      let desired = IntervalSet(
        prefixes: second.map { window.prefix(offset: $0.0, hostBits: $0.1) })
      let diff = IntervalDiff(current: stored, desired: desired)
      #expect(diff.remove.allSatisfy(stored.contains))
      let applied = stored.filter { !diff.remove.contains($0) } + diff.add
      #expect(Set(applied) == Set(desired.ranges) || IntervalSet(ranges: applied) == desired)
      #expect(window.members(of: applied) == window.members(of: desired))
      // No overlap among the result: the kernel would refuse it.
      let sorted = applied.sorted { $0.first < $1.first }
      for (left, right) in zip(sorted, sorted.dropFirst()) { #expect(left.last < right.first) }
    }
  }
}
