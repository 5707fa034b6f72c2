import Foundation
import TestSupport
import Testing

/// One throwaway network namespace (loopback up) plus a scratch directory for the
/// configuration, the state directory and the metrics file: where a reliability test runs the
/// real origin-guard binary. Both are removed afterwards, whether the test passes or throws.
struct GuardSandbox: Sendable {
  let namespace: ThrowawayNamespace
  let directory: String

  var configPath: String { directory + "/config.yaml" }
  var stateDirectory: String { directory + "/state" }
  var metricsPath: String { directory + "/metrics/origin_guard.prom" }

  static func with<T>(_ body: (GuardSandbox) async throws -> T) async throws -> T {
    try await withThrowawayNamespace { namespace in
      try namespace.run(["ip", "link", "set", "lo", "up"])
      let directory = NSTemporaryDirectory() + "og-reliability-" + UUID().uuidString
      try FileManager.default.createDirectory(
        atPath: directory, withIntermediateDirectories: true)
      defer { try? FileManager.default.removeItem(atPath: directory) }
      return try await body(GuardSandbox(namespace: namespace, directory: directory))
    }
  }

  /// Writes the configuration: `sources` (YAML lines, indented as list items under
  /// `sources:`) and any other top-level keys in `extra`. Mode 0600, as an inline secret needs.
  func writeConfiguration(sources: String, extra: String = "") throws {
    let text = """
      state_dir: \(stateDirectory)
      metrics_file: \(metricsPath)
      \(extra)
      sources:
      \(sources)
      """
    try write("config.yaml", text, mode: 0o600)
  }

  /// Writes a file in the scratch directory and returns its path.
  @discardableResult
  func write(_ name: String, _ text: String, mode: Int = 0o644) throws -> String {
    let path = directory + "/" + name
    try FileManager.default.createDirectory(
      atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    return path
  }

  /// Runs `origin-guard <arguments> -c config.yaml` in the namespace; never throws for a
  /// non-zero exit, the tests look at the status.
  @discardableResult
  func originGuard(_ arguments: [String], environment: [String: String] = [:]) throws
    -> CommandResult
  {
    let variables = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
    return try namespace.run(
      ["env"] + variables + [OriginGuardBinary.path] + arguments + ["-c", configPath], check: false)
  }

  @discardableResult
  func originGuard(_ arguments: String...) throws -> CommandResult {
    try originGuard(arguments)
  }

  /// `nft -j list ruleset` as text: equal text, equal kernel state (handles included).
  func ruleset() throws -> String {
    try namespace.nft("-j", "list", "ruleset").output
  }

  /// `origin-guard status --json`, parsed.
  func status() throws -> [String: Any] {
    let result = try originGuard("status", "--json")
    guard result.status == 0,
      let object = try JSONSerialization.jsonObject(with: Data(result.output.utf8))
        as? [String: Any]
    else { throw ServerError("status --json failed: \(result.status) \(result.errorOutput)") }
    return object
  }

  /// The ruleset generation, as `status --json` reports it.
  func generation() throws -> Int {
    guard let generation = try status()["generation"] as? Int else {
      throw ServerError("status --json without a generation")
    }
    return generation
  }

  func metrics() throws -> PrometheusText {
    try PrometheusText(String(contentsOfFile: metricsPath, encoding: .utf8))
  }

  /// The elements of one of our sets as nft prints them (`10.0.0.0/24`, `10.0.0.1`,
  /// `10.0.0.5-10.0.0.9`), from `nft -j list set`: the second opinion on what the kernel holds.
  func kernelElements(set: String, table: String = "origin_guard") throws -> Set<String> {
    let items = try namespace.nftJSON("list", "set", "inet", table, set)
    guard let definition = items.first?["set"] as? [String: Any] else {
      throw ServerError("nft -j list set \(set): no set")
    }
    var elements = Set<String>()
    for element in definition["elem"] as? [Any] ?? [] {
      elements.insert(NftElementText.describe(element))
    }
    return elements
  }
}

/// Renders an element of `nft -j` output in nft's own text form.
enum NftElementText {
  static func describe(_ element: Any) -> String {
    if let text = element as? String { return text }
    if let object = element as? [String: Any] {
      if let prefix = object["prefix"] as? [String: Any], let address = prefix["addr"] as? String,
        let length = prefix["len"] as? Int
      {
        return "\(address)/\(length)"
      }
      if let range = object["range"] as? [Any], range.count == 2 {
        return "\(describe(range[0]))-\(describe(range[1]))"
      }
      if let inner = object["elem"] as? [String: Any], let value = inner["val"] {
        return describe(value)
      }
    }
    return "\(element)"
  }
}

/// The metrics file as samples: `name{label="value",…} number` lines.
struct PrometheusText: Sendable {
  struct Sample: Sendable {
    var name: String
    var labels: [String: String]
    var value: Double
  }

  let samples: [Sample]

  init(_ text: String) {
    samples = text.split(separator: "\n").compactMap { line -> Sample? in
      guard !line.hasPrefix("#"), let space = line.lastIndex(of: " "),
        let value = Double(line[line.index(after: space)...])
      else { return nil }
      let series = line[..<space]
      guard let brace = series.firstIndex(of: "{") else {
        return Sample(name: String(series), labels: [:], value: value)
      }
      var labels: [String: String] = [:]
      for pair in series[series.index(after: brace)..<series.index(before: series.endIndex)]
        .split(separator: ",")
      {
        let parts = pair.split(separator: "=", maxSplits: 1)
        guard parts.count == 2 else { continue }
        labels[String(parts[0])] = String(parts[1].dropFirst().dropLast())
      }
      return Sample(name: String(series[..<brace]), labels: labels, value: value)
    }
  }

  /// The value of `origin_guard_<name>` with exactly these labels, nil when absent.
  func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
    samples.first { $0.name == "origin_guard_" + name && $0.labels == labels }?.value
  }
}

/// A program started in the background; stopped (SIGKILL) by `stop()` or when released, so a
/// failing test never leaves it running.
final class ReliabilityProcess: Sendable {
  private let child: ChildProcess

  /// - Parameter output: a log file for stdout and stderr; nil discards them.
  init(_ arguments: [String], output: String? = nil) throws {
    let handle = try output.map { try LogFile.handle(writingTo: $0) }
    child = try ChildProcess(
      arguments, standardOutput: handle?.fileDescriptor, standardError: handle?.fileDescriptor)
    try handle?.close()
  }

  var pid: Int32 { child.pid }
  var isRunning: Bool { child.isRunning }

  /// Sends `signal` and waits for the process to end; returns its termination status.
  @discardableResult
  func stop(signal: Int32 = SIGKILL) -> Int32 { child.stop(signal: signal) }

  func wait() -> Int32 { child.wait() }
}

/// Distinct, non-adjacent IPv4 /24 prefixes (`10.a.b.0/24`, `b` even), so that merging never
/// turns them into fewer prefixes: `count` of them is exactly `count` entries for the guards.
enum TestLists {
  static func ipv4(_ count: Int, from start: Int = 0) -> [String] {
    (start..<(start + count)).map { index in
      "10.\(index / 128).\((index % 128) * 2).0/24"
    }
  }

  static let ipv6 = ["2001:db8:1::/48", "2001:db8:3::/48"]

  static func text(_ prefixes: [String]) -> String {
    prefixes.joined(separator: "\n") + "\n"
  }
}
