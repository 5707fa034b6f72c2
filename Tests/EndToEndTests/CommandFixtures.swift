import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// One test's world for running `origin-guard` commands: a throwaway network namespace and a
/// temporary directory holding the configuration (mode 0600), the state directory, the metrics
/// file and a `file` source's list.
struct CommandSetup: Sendable {
  let namespace: ThrowawayNamespace
  let directory: String

  var configPath: String { directory + "/config.yaml" }
  var stateDirectory: String { directory + "/state" }
  var metricsPath: String { directory + "/metrics/origin_guard.prom" }
  var listPath: String { directory + "/list.txt" }

  /// The same files seen from another namespace (a second host, or a reboot).
  func moved(to other: ThrowawayNamespace) -> CommandSetup {
    CommandSetup(namespace: other, directory: directory)
  }

  /// One `file` source reading `listPath`.
  var fileSource: String {
    """
      - name: list
        type: file
        path: \(listPath)
    """
  }

  /// A configuration with `sources` (YAML list items; the file source by default) and `extra`
  /// top-level YAML such as `guards:`.
  func writeConfig(sources: String? = nil, extra: String = "") throws {
    let yaml = """
      sources:
      \(sources ?? fileSource)
      state_dir: \(stateDirectory)
      metrics_file: \(metricsPath)
      \(extra)

      """
    try write(yaml, to: configPath)
  }

  func writeList(_ prefixes: [String]) throws {
    try write(
      "# written by the test\n" + prefixes.joined(separator: "\n") + "\n", to: listPath)
  }

  func removeList() throws {
    try FileManager.default.removeItem(atPath: listPath)
  }

  private func write(_ text: String, to path: String) throws {
    guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
      throw SetupError("cannot write \(path)")
    }
    guard chmod(path, 0o600) == 0 else { throw SetupError("cannot chmod \(path)") }
  }

  /// The arguments that run `origin-guard <arguments> -c <config>` inside the namespace.
  func commandLine(_ arguments: [String]) -> [String] {
    ["ip", "netns", "exec", namespace.name, OriginGuardBinary.path] + arguments + [
      "-c", configPath,
    ]
  }

  /// Runs `origin-guard` in the namespace and throws unless it exits with `status`.
  @discardableResult
  func originGuard(_ arguments: String..., exits status: Int32 = 0) throws -> CommandResult {
    let line = commandLine(arguments)
    let result = try run(line, check: false)
    guard result.status == status else {
      throw UnexpectedExit(arguments: line, expected: status, result: result)
    }
    return result
  }

  /// `nft list ruleset` in the namespace, as text.
  func ruleset() throws -> String {
    try namespace.nft("list", "ruleset").output
  }

  /// `nft -j list ruleset` parsed, without handles (a re-created table gets new ones) and
  /// without `metainfo`: what the ruleset holds, comparable across commits.
  func rulesetContents() throws -> NSArray {
    NSArray(array: try namespace.nftJSON("list", "ruleset").map(withoutHandles))
  }

  /// The elements of one of our sets as prefixes, from `nft -j list set`.
  func elements(of set: String, table: String = "origin_guard") throws -> Set<String> {
    let items = try namespace.nftJSON("list", "set", "inet", table, set)
    let object = try #require(items.first?["set"] as? [String: Any])
    return try Set((object["elem"] as? [Any] ?? []).map(NftElement.prefix))
  }

  /// Both sets' elements.
  func allowed() throws -> Set<String> {
    try elements(of: "allowed_v4").union(elements(of: "allowed_v6"))
  }

  /// Tables in the namespace as `family name`.
  func tables() throws -> [String] {
    try namespace.nftJSON("list", "tables").compactMap { item in
      guard let table = item["table"] as? [String: Any] else { return nil }
      return "\(table["family"] ?? "?") \(table["name"] ?? "?")"
    }
  }

  /// `plan --json` parsed.
  func planJSON(_ extra: String..., exits status: Int32 = 0) throws -> [String: Any] {
    let result = try run(commandLine(["plan", "--json"] + extra), check: false)
    guard result.status == status else {
      throw UnexpectedExit(arguments: ["plan", "--json"] + extra, expected: status, result: result)
    }
    return try parseObject(result.output)
  }
}

/// Creates a namespace and a temporary directory for one test, and removes both afterwards
/// whether the test passes or throws.
func withCommandSetup<T>(_ body: (CommandSetup) async throws -> T) async throws -> T {
  try await withThrowawayNamespace { namespace in
    let template = FileManager.default.temporaryDirectory.appendingPathComponent(
      "og-e2e-XXXXXX"
    ).path
    var buffer = Array(template.utf8CString)
    guard let created = mkdtemp(&buffer) else { throw SetupError("mkdtemp \(template) failed") }
    let directory = String(cString: created)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    return try await body(CommandSetup(namespace: namespace, directory: directory))
  }
}

/// The table origin-guard creates with the default configuration, as `nft list ruleset`
/// prints it (README), with the elements left out.
let defaultStructure = [
  "table inet origin_guard {",
  "\tchain input {",
  "\t\ttype filter hook input priority filter - 10; policy accept;",
  "\t\ttcp dport { 80, 443 } jump guard",
  "\tchain guard {",
  "\t\tiifname \"lo\" accept",
  "\t\tct state established,related accept",
  "\t\tip saddr @allowed_v4 accept",
  "\t\tip6 saddr @allowed_v6 accept",
  "\t\tcounter packets 0 bytes 0 drop",
]

/// A JSON object from a command's output.
func parseObject(_ text: String) throws -> [String: Any] {
  guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
  else { throw SetupError("not a JSON object: \(text)") }
  return object
}

/// Set elements of `nft -j` output as prefixes: a bare address is a /32 or /128.
enum NftElement {
  static func prefix(_ element: Any) throws -> String {
    if let address = element as? String {
      return address + (address.contains(":") ? "/128" : "/32")
    }
    if let object = element as? [String: Any], let prefix = object["prefix"] as? [String: Any],
      let address = prefix["addr"] as? String, let length = prefix["len"] as? Int
    {
      return "\(address)/\(length)"
    }
    throw SetupError("an element that is not a prefix: \(element)")
  }
}

private func withoutHandles(_ value: Any) -> Any {
  if let object = value as? [String: Any] {
    var copy: [String: Any] = [:]
    for (key, item) in object where key != "handle" { copy[key] = withoutHandles(item) }
    return copy
  }
  if let array = value as? [Any] { return array.map(withoutHandles) }
  return value
}

struct SetupError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}

/// A command that exited with another status than the test expected.
struct UnexpectedExit: Error, CustomStringConvertible {
  let arguments: [String]
  let expected: Int32
  let result: CommandResult

  var description: String {
    "`\(arguments.joined(separator: " "))` exited with \(result.status), expected \(expected)\nstdout:\n\(result.output)\nstderr:\n\(result.errorOutput)"
  }
}

/// A process started in the background whose output goes to files. `stop()` kills it and
/// waits; call it in a `defer` so it dies in every path.
final class CommandProcess: Sendable {
  private let process: ChildProcess
  let outputPath: String
  let errorPath: String

  /// Starts `arguments` (looked up on PATH); stdout and stderr go to `<logPrefix>.out/.err`.
  init(_ arguments: [String], logPrefix: String) throws {
    outputPath = logPrefix + ".out"
    errorPath = logPrefix + ".err"
    let output = try LogFile.handle(writingTo: outputPath)
    let errors = try LogFile.handle(writingTo: errorPath)
    defer {
      try? output.close()
      try? errors.close()
    }
    process = try ChildProcess(
      arguments, standardOutput: output.fileDescriptor, standardError: errors.fileDescriptor)
  }

  var isRunning: Bool { process.isRunning }
  var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }
  var errorOutput: String { (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "" }

  /// Waits for the process to exit and returns its status, or nil when it still runs after
  /// `timeout`. Blocks rather than awaits: a suspended test may not get a thread back for
  /// seconds while other tests hold the cooperative pool, and these waits race a timer.
  func waitForExit(timeout: Duration) -> Int32? {
    process.wait(timeout: timeout)
  }

  /// Sends `signal` (SIGTERM, say) unless it has exited.
  func signal(_ signal: Int32) { process.signal(signal) }

  /// SIGKILL unless it has exited, then reaps it.
  func stop() { process.stop() }
}

/// Polls `condition` until it holds, or throws once a check that started at or after
/// `timeout` failed too (a slow check is not a late event). Blocks, like
/// `BackgroundProcess.waitForExit`, so that the poll keeps its thread.
func waitUntil(
  _ what: String, timeout: Duration = .seconds(20), _ condition: () throws -> Bool
) throws {
  let deadline = ContinuousClock.now + timeout
  while true {
    let started = ContinuousClock.now
    if try condition() { return }
    guard started < deadline else { throw SetupError("timed out waiting: \(what)") }
    Thread.sleep(forTimeInterval: 0.05)
  }
}
