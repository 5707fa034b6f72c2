import Foundation
import TestSupport

/// origin-guard as an operator runs it on the origin: the built binary inside the origin's
/// namespace, with a configuration, an allow-list file and a state directory of the test's own.
struct GuardedOrigin: Sendable {
  struct Settings: Sendable {
    var hook = "input"
    var ports = [80, 443]
    /// Adds a `url` source for `http://127.0.0.1:<port>/` on the origin's loopback.
    var listServerPort: Int?
    var maxStale: String?
  }

  /// Documentation ranges standing in for the rest of a CDN's nodes. They keep a rotation of
  /// one node far below the default shrink guard (30 % of a family's addresses).
  static let otherNodes = ["198.51.100.0/24", "2001:db8:77::/48"]
  /// The prefixes `mid` sits in the middle of.
  static let midNetwork = ["10.77.5.0/24", "fd77::5:0/112"]

  let topology: Topology
  let settings: Settings
  let configPath: String
  let listPath: String
  let stateDirectory: String
  /// What the `url` source serves, and the file that makes it fail (see `listServer.py`).
  let urlListPath: String
  let urlStatusPath: String

  init(_ topology: Topology, _ settings: Settings = Settings(), stateDirectory: String? = nil)
    throws
  {
    self.topology = topology
    self.settings = settings
    configPath = topology.path("config.yaml")
    listPath = topology.path("list.txt")
    urlListPath = topology.path("url-list.txt")
    urlStatusPath = topology.path("url-status")
    self.stateDirectory = stateDirectory ?? topology.path("state")
    try configuration.write(toFile: configPath, atomically: true, encoding: .utf8)
  }

  /// The allow-list naming `roles` (both families) and `prefixes`, one entry a line.
  static func list(allowing roles: [Topology.Role], prefixes: [String] = otherNodes) -> String {
    (["# origin-guard traffic test"] + roles.flatMap(\.addresses) + prefixes)
      .joined(separator: "\n") + "\n"
  }

  func writeList(_ text: String) throws {
    try text.write(toFile: listPath, atomically: true, encoding: .utf8)
  }

  /// Runs `origin-guard <command> -c <config> <arguments>` inside the origin; the caller
  /// checks the status.
  func run(_ command: String, _ arguments: String...) async throws -> CommandResult {
    try await topology.run(
      in: .origin, [OriginGuardBinary.path, command, "-c", configPath] + arguments, check: false)
  }

  /// Starts the `url` source's server on the origin's loopback, serving `entries`.
  func startListServer(serving text: String) async throws {
    guard let port = settings.listServerPort else {
      throw TrafficTestError(description: "no listServerPort in the settings")
    }
    try text.write(toFile: urlListPath, atomically: true, encoding: .utf8)
    let server = try topology.start(
      "list-server", in: .origin,
      [
        TrafficProgram.python, topology.path(TrafficProgram.listServer.fileName), String(port),
        urlListPath, urlStatusPath,
      ])
    try await server.waitForOutput("listening")
  }

  /// Makes the `url` source's server answer every request with `status`, or normally again.
  func setListServerStatus(_ status: Int?) throws {
    if let status {
      try "\(status)\n".write(toFile: urlStatusPath, atomically: true, encoding: .utf8)
    } else if FileManager.default.fileExists(atPath: urlStatusPath) {
      try FileManager.default.removeItem(atPath: urlStatusPath)
    }
  }

  private var configuration: String {
    var lines = [
      "hook: \(settings.hook)",
      "ports: [\(settings.ports.map(String.init).joined(separator: ", "))]",
      "state_dir: \(stateDirectory)",
    ]
    if let maxStale = settings.maxStale { lines.append("max_stale: \(maxStale)") }
    lines += [
      "sources:",
      "  - name: nodes",
      "    type: file",
      "    path: \(listPath)",
    ]
    if let port = settings.listServerPort {
      lines += [
        "  - name: health-checks",
        "    type: url",
        "    url: http://127.0.0.1:\(port)/list.txt",
        "    format: text",
        // One attempt with short timeouts: a failing source fails within the test's budget.
        "    connect_timeout: 1s",
        "    timeout: 5s",
        "    retry_max_attempts: 1",
      ]
    }
    return lines.joined(separator: "\n") + "\n"
  }
}
