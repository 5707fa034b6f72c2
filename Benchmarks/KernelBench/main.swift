// The kernel layer's side of scripts/bench-kernel: each command does one piece of work in the
// current network namespace (the script runs it under `ip netns exec` and `/usr/bin/time -v`)
// and prints how long the piece itself took. No Foundation, to keep the resident set honest.
import AddressSet
import Glibc
import Netfilter

let arguments = CommandLine.arguments.dropFirst()
let clock = ContinuousClock()

func fail(_ message: String) -> Never {
  print("KernelBench: \(message)")
  exit(1)
}

func milliseconds(_ duration: Duration) -> String {
  let (seconds, attoseconds) = duration.components
  return String(Double(seconds) * 1000 + Double(attoseconds) / 1e15)
}

/// Prefixes from standard input, one a line, parsed as origin-guard parses allow-lists.
func readPrefixes() -> DualStackSet {
  var prefixes: [AnyIPPrefix] = []
  while let line = readLine(strippingNewline: true) {
    guard !line.isEmpty else { continue }
    guard let parsed = try? PrefixParser.parse(line) else { fail("not a prefix: \(line)") }
    prefixes.append(parsed.prefix)
  }
  return DualStackSet(prefixes: prefixes)
}

/// `count` prefixes, 90% /32 and 10% /24, one per 512-address block so none touch, in a
/// scrambled but fixed order.
func generate(count: Int, offset: UInt32 = 0) -> [IPv4Prefix] {
  var order = Array(0..<count)
  var state: UInt64 = 0x9E37_79B9_7F4A_7C15
  for index in stride(from: count - 1, to: 0, by: -1) {
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    order.swapAt(index, Int((state >> 33) % UInt64(index + 1)))
  }
  return order.map { index in
    let block = UInt32(0x0100_0000) + (UInt32(index) + offset) * 512
    return index % 10 == 9
      ? IPv4Prefix(IPv4Address(bits: block), length: 24)
      : IPv4Prefix(host: IPv4Address(bits: block + 7))
  }
}

/// Removes every (100 / percent)th range and adds as many single addresses in the free gaps.
func churned(_ set: IPv4Set, percent: Int) -> IPv4Set {
  let step = 100 / percent
  return IPv4Set(
    ranges: set.ranges.enumerated().map { index, range in
      guard index % step == 0 else { return range }
      let gap = IPv4Address(bits: (range.first.bits & ~0xff) + 256 + 3)
      return AddressRange(first: gap, last: gap)
    })
}

func nftElements(_ ranges: [AddressRange<IPv4Address>]) -> String {
  ranges.flatMap(\.prefixes).map(\.description).joined(separator: ",\n")
}

let ruleset = GuardRuleset()

do {
  switch arguments.first {
  case "generate":
    // generate N: the prefixes, one a line.
    guard let count = arguments.dropFirst().first.flatMap({ Int($0) }) else { fail("generate N") }
    for prefix in generate(count: count) { print(prefix) }

  case "nft-ruleset":
    // nft-ruleset < prefixes: the same ruleset and elements as an nft -f file, the elements in
    // the order given (nft, like origin-guard, gets the list as it comes and sorts it itself).
    var lines: [String] = []
    while let line = readLine(strippingNewline: true) { if !line.isEmpty { lines.append(line) } }
    print("table inet origin_guard {")
    print("  set allowed_v4 { type ipv4_addr; flags interval;")
    if !lines.isEmpty { print("    elements = {\n\(lines.joined(separator: ",\n"))\n    }") }
    print("  }\n  set allowed_v6 { type ipv6_addr; flags interval; }")
    print(
      "  chain input { type filter hook input priority filter - 10; policy accept; tcp dport { 80, 443 } jump guard; }"
    )
    print("  chain guard { iifname \"lo\" accept; ct state established,related accept;")
    print("    ip saddr @allowed_v4 accept; ip6 saddr @allowed_v6 accept; counter drop; }\n}")

  case "nft-churn":
    // nft-churn PERCENT [reload] < prefixes: the churn as nft commands, either deleting and
    // adding the changed elements, or (reload) flushing the set and adding all of them.
    guard let percent = arguments.dropFirst().first.flatMap({ Int($0) }) else {
      fail("nft-churn PERCENT [reload]")
    }
    let current = readPrefixes().v4
    let desired = churned(current, percent: percent)
    if arguments.dropFirst(2).first == "reload" {
      print("flush set inet origin_guard allowed_v4")
      print("add element inet origin_guard allowed_v4 {\n\(nftElements(desired.ranges))\n}")
    } else {
      let diff = IntervalDiff(current: current.ranges, desired: desired)
      print("delete element inet origin_guard allowed_v4 {\n\(nftElements(diff.remove))\n}")
      print("add element inet origin_guard allowed_v4 {\n\(nftElements(diff.add))\n}")
    }

  case "load":
    // load < prefixes: parse, install ruleset + elements in one batch.
    let start = clock.now
    let set = readPrefixes()
    let parsed = clock.now
    let backend = try NetlinkBackend()
    try backend.apply(ruleset.installTransaction(allowing: set), expectedGeneration: nil)
    let done = clock.now
    print(
      "load ranges=\(set.v4.ranges.count) parse_ms=\(milliseconds(parsed - start)) apply_ms=\(milliseconds(done - parsed))"
    )

  case "churn":
    // churn PERCENT < prefixes: install (untimed), then, timed, what a reconcile does when the
    // state is known (no read: the generation guards it): the diff (AddressSet's IntervalDiff),
    // then the batch (transaction, encoding, commit guarded by the generation).
    guard let percent = arguments.dropFirst().first.flatMap({ Int($0) }) else {
      fail("churn PERCENT")
    }
    let set = readPrefixes()
    let backend = try NetlinkBackend()
    let generation = try backend.apply(
      ruleset.installTransaction(allowing: set), expectedGeneration: nil)
    let desired = churned(set.v4, percent: percent)
    let start = clock.now
    let diff = IntervalDiff(current: set.v4.ranges, desired: desired)
    let diffed = clock.now
    let transaction = ruleset.updateTransaction(
      v4: diff, v6: IntervalDiff(current: [], desired: IPv6Set()))
    try backend.apply(transaction, expectedGeneration: generation)
    let done = clock.now
    print(
      "churn removed=\(diff.remove.count) added=\(diff.add.count) diff_ms=\(milliseconds(diffed - start))"
        + " batch_ms=\(milliseconds(done - diffed)) churn_ms=\(milliseconds(done - start))")

  case "read":
    // read: dump allowed_v4 and rebuild its ranges.
    let start = clock.now
    let backend = try NetlinkBackend()
    let elements = try backend.readElements(table: ruleset.tableName, set: ruleset.ipv4SetName)
    let done = clock.now
    print("read ranges=\(elements.count) read_ms=\(milliseconds(done - start))")

  default:
    fail(
      "usage: KernelBench generate N | nft-ruleset | nft-churn PERCENT | load | churn PERCENT | read"
    )
  }
} catch {
  fail("\(error)")
}
