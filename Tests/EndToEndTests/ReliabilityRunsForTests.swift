import Foundation
import TestSupport

/// How many times the repeated reliability tests go round: a few under `swift test` (CI), the
/// full counts under `scripts/reliability --long`, which sets ORIGIN_GUARD_RELIABILITY_LONG=1.
enum ReliabilityRuns {
  static let isLong = ProcessInfo.processInfo.environment["ORIGIN_GUARD_RELIABILITY_LONG"] == "1"

  static func count(short: Int, long: Int) -> Int { isLong ? long : short }

  /// One line per figure on stdout, `reliability: <name> <key>=<value> …`, which
  /// `scripts/reliability` collects for docs/reliability.md.
  static func report(_ name: String, _ figures: [(String, Any)]) {
    let text = figures.map { "\($0.0)=\($0.1)" }.joined(separator: " ")
    print("reliability: \(name) \(text)")
  }
}

/// Two large allow-lists that share half their prefixes, for applies that take long enough
/// to be interrupted: IPv4 /32s that never merge (last octet even) and one IPv6 prefix each,
/// so a half-applied batch would show as a mix of the two in either set.
struct LargeLists: Sendable {
  struct List: Sendable {
    var name: String
    var ipv4: [String]
    var ipv6: [String]
    var text: String { (ipv4 + ipv6).joined(separator: "\n") + "\n" }
    /// As `nft -j` shows the elements: a /32 is a bare address.
    var kernelIPv4: Set<String> { Set(ipv4.map { String($0.dropLast(3)) }) }
    var kernelIPv6: Set<String> { Set(ipv6) }
  }

  let a: List
  let b: List

  init(count: Int) {
    func address(_ index: Int) -> String {
      "10.\((index >> 15) & 0xff).\((index >> 7) & 0xff).\((index & 0x7f) * 2)/32"
    }
    a = List(name: "A", ipv4: (0..<count).map(address), ipv6: ["2001:db8:a::/48"])
    b = List(
      name: "B", ipv4: ((count / 2)..<(count + count / 2)).map(address),
      ipv6: ["2001:db8:b::/48"])
  }

  func other(than list: List) -> List { list.name == a.name ? b : a }
}

extension GuardSandbox {
  /// Which of the lists the kernel holds in both sets, or nil for anything else (a mix,
  /// a partial apply, an empty set).
  func kernelList(_ lists: LargeLists) throws -> LargeLists.List? {
    let ipv4 = try kernelElements(set: "allowed_v4")
    let ipv6 = try kernelElements(set: "allowed_v6")
    return [lists.a, lists.b].first { $0.kernelIPv4 == ipv4 && $0.kernelIPv6 == ipv6 }
  }

  /// The prefixes `export --format text` prints: the last-known-good list in the state
  /// directory. Nil when export fails or reports a corrupt state file.
  func exportedPrefixes() throws -> Set<String>? {
    let result = try originGuard("export", "--format", "text")
    guard result.status == 0, !result.errorOutput.contains("corrupt") else { return nil }
    return Set(result.output.split(separator: "\n").filter { !$0.hasPrefix("#") }.map(String.init))
  }

  /// Starts `origin-guard <arguments>` in the background in the namespace.
  func startOriginGuard(_ arguments: [String], output: String? = nil) throws
    -> ReliabilityProcess
  {
    try ReliabilityProcess(
      ["ip", "netns", "exec", namespace.name, OriginGuardBinary.path] + arguments + [
        "-c", configPath,
      ], output: output)
  }
}
