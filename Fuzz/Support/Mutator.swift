/// Byte-level mutations in the style of libFuzzer's: flips, random and "interesting" bytes,
/// inserted and deleted runs, copied runs, dictionary tokens, splices with another input.
struct Mutator {
  let dictionary: [[UInt8]]
  let maxLength: Int

  /// Bytes that change how text formats parse: digits, separators, brackets, quotes, limits.
  static let interesting: [UInt8] =
    Array("0123456789abcdefABCDEF.:/%[]{}\",-_ \t\r\n#=\\x".utf8)
    + [0x00, 0x01, 0x7f, 0x80, 0xc3, 0xef, 0xff]

  func mutate(_ input: inout [UInt8], other: [UInt8], random: inout Xoshiro256) {
    let count = 1 + Int(random.next() % 6)
    for _ in 0..<count { mutateOnce(&input, other: other, random: &random) }
    if input.count > maxLength { input.removeLast(input.count - maxLength) }
  }

  private func mutateOnce(_ input: inout [UInt8], other: [UInt8], random: inout Xoshiro256) {
    func index(_ limit: Int) -> Int { limit <= 0 ? 0 : Int(random.next() % UInt64(limit)) }
    switch random.next() % 10 {
    case 0 where !input.isEmpty:
      input[index(input.count)] ^= UInt8(1 << (random.next() % 8))
    case 1 where !input.isEmpty:
      input[index(input.count)] = UInt8(truncatingIfNeeded: random.next())
    case 2:
      input.insert(
        Self.interesting[index(Self.interesting.count)], at: index(input.count + 1))
    case 3 where !input.isEmpty:
      let start = index(input.count)
      input.removeSubrange(start..<min(input.count, start + 1 + index(16)))
    case 4 where !input.isEmpty:
      // Copy a run elsewhere: repeats structure (nesting, list elements).
      let start = index(input.count)
      let run = Array(input[start..<min(input.count, start + 1 + index(64))])
      input.insert(contentsOf: run, at: index(input.count + 1))
    case 5 where !dictionary.isEmpty:
      input.insert(contentsOf: dictionary[index(dictionary.count)], at: index(input.count + 1))
    case 6 where !other.isEmpty:
      // Splice: our head, the other input's tail.
      let cut = index(input.count + 1)
      input = Array(input[..<cut]) + other[index(other.count)...]
    case 7 where !input.isEmpty:
      input.removeLast(index(input.count) / 2 + 1)
    case 8 where input.count >= 4:
      // Little- and big-endian lengths and counts at the edges.
      let at = index(input.count - 3)
      let value: UInt32 = [0, 1, 0xff, 0xffff, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff][index(7)]
      for byte in 0..<4 { input[at + byte] = UInt8(truncatingIfNeeded: value >> (8 * byte)) }
    default:
      input.insert(UInt8(truncatingIfNeeded: random.next()), at: index(input.count + 1))
    }
  }
}
