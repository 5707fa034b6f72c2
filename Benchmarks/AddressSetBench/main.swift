// Measures building interval sets from many random prefixes, and parsing them from text.
// Run through scripts/bench-addresses (release build). Prints wall time and peak RSS.
import AddressSet

#if canImport(Glibc)
  import Glibc
#endif

/// A deterministic generator, so every run measures the same input.
struct SplitMix64: RandomNumberGenerator {
  var state: UInt64
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

func peakRSSMegabytes() -> Double {
  var usage = rusage()
  getrusage(RUSAGE_SELF.rawValue, &usage)
  return Double(usage.ru_maxrss) / 1024  // ru_maxrss is in KiB on Linux
}

func measure<T>(_ label: String, runs: Int, _ body: () -> T) -> T {
  var result: T?
  var times: [Double] = []
  for _ in 0..<runs {
    let clock = ContinuousClock()
    let start = clock.now
    result = body()
    let elapsed = clock.now - start
    times.append(
      Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
  }
  times.sort()
  let median = times[times.count / 2]
  print(
    "\(label): median \(format3(median * 1000)) ms over \(runs) runs, peak RSS \(format3(peakRSSMegabytes())) MB"
  )
  return result!
}

func format3(_ value: Double) -> String {
  let scaled = (value * 10).rounded() / 10
  return String(scaled)
}

let count = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 1_000_000
let runs = 5
var rng = SplitMix64(state: 42)

// 90% /32, 10% /16.../31: the shape of real CDN lists, at a size far beyond them.
let v4Prefixes: [IPv4Prefix] = (0..<count).map { _ in
  let length = Int.random(in: 0..<10, using: &rng) == 0 ? Int.random(in: 16...31, using: &rng) : 32
  return IPv4Prefix(
    IPv4Address(bits: UInt32.random(in: 0...UInt32.max, using: &rng)), length: length)
}
let v6Prefixes: [IPv6Prefix] = (0..<count).map { _ in
  let length = Int.random(in: 32...128, using: &rng)
  return IPv6Prefix(
    IPv6Address(bits: UInt128(rng.next()) << 64 | UInt128(rng.next())), length: length)
}
let v4Text = v4Prefixes.map(\.description)

print("origin-guard address-set benchmark: \(count) random prefixes per family")
let set4 = measure("build IPv4 set from \(count) prefixes", runs: runs) {
  IPv4Set(prefixes: v4Prefixes)
}
let set6 = measure("build IPv6 set from \(count) prefixes", runs: runs) {
  IPv6Set(prefixes: v6Prefixes)
}
_ = measure("parse \(count) IPv4 prefixes from text", runs: runs) {
  v4Text.reduce(0) { sum, text in sum + ((try? PrefixParser.parse(text))?.prefix.length ?? 0) }
}
_ = measure("minimal CIDR list of the IPv4 set", runs: runs) { set4.prefixes.count }
let other = IPv4Set(prefixes: v4Prefixes.dropFirst(count / 100))
_ = measure("diff of two IPv4 sets differing by 1%", runs: runs) {
  IntervalDiff(current: set4, desired: other)
}
print(
  "IPv4 set: \(set4.ranges.count) ranges, \(set4.prefixCount) prefixes; IPv6 set: \(set6.ranges.count) ranges"
)
print("peak RSS \(format3(peakRSSMegabytes())) MB")
