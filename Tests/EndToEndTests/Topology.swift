import Foundation
import Synchronization
import TestSupport

/// Network namespaces for one test: the `origin` web server and its clients on one bridged LAN
/// (a bridge in a namespace of its own), plus optionally a `container` behind the origin as
/// Docker would attach it. Every name carries a random part, so tests run in parallel; nothing
/// is created in the host's namespace, and everything is removed afterwards.
final class Topology: Sendable {
  /// A host of the topology and its addresses. Clients reach the origin at `origin.ipv4` and
  /// `origin.ipv6`.
  enum Role: String, CaseIterable, Sendable {
    case origin, cdn, cdn2, mid, outsider, container

    var ipv4: String {
      switch self {
      case .origin: "10.77.0.1"
      case .cdn: "10.77.1.2"
      case .cdn2: "10.77.2.2"
      // In the middle of 10.77.5.0/24, which the lists name as a whole.
      case .mid: "10.77.5.130"
      case .outsider: "10.77.9.9"
      case .container: "10.78.0.2"
      }
    }

    var ipv6: String {
      switch self {
      case .origin: "fd77::1"
      case .cdn: "fd77::1:2"
      case .cdn2: "fd77::2:2"
      // In the middle of fd77::5:0/112.
      case .mid: "fd77::5:130"
      case .outsider: "fd77::9:9"
      case .container: "fd78::2"
      }
    }

    var addresses: [String] { [ipv4, ipv6] }
  }

  /// The origin's side of the container link (Docker's bridge address).
  static let containerGatewayIPv4 = "10.78.0.1"
  static let containerGatewayIPv6 = "fd78::1"

  let roles: [Role]
  /// Scratch files of this topology: programs, configurations, lists, state, logs.
  let directory: String
  private let prefix: String
  private let background = Mutex<[BackgroundProcess]>([])

  fileprivate init(roles: [Role]) throws {
    self.roles = [.origin] + roles.filter { $0 != .origin }
    let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 36)
    prefix = "og-tr\(suffix)"
    directory = FileManager.default.temporaryDirectory.appendingPathComponent(prefix).path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    for program in TrafficProgram.allCases {
      try program.source.write(toFile: path(program.fileName), atomically: true, encoding: .utf8)
    }
  }

  func namespace(_ role: Role) -> String { "\(prefix)-\(role.rawValue)" }
  private var lanNamespace: String { "\(prefix)-lan" }
  private var namespaces: [String] { roles.map(namespace) + [lanNamespace] }

  func path(_ name: String) -> String { "\(directory)/\(name)" }

  /// Writes a scratch file and returns its path.
  @discardableResult
  func writeFile(_ name: String, _ text: String) throws -> String {
    try text.write(toFile: path(name), atomically: true, encoding: .utf8)
    return path(name)
  }

  // MARK: - Building and removing

  fileprivate func create() async throws {
    try await runDetached(["sh", "-euc", setupScript])
  }

  /// One shell script rather than one process per `ip` call: quicker on a loaded machine.
  private var setupScript: String {
    let lan = lanNamespace
    var lines: [String] = []
    for name in namespaces {
      lines += ["ip netns add \(name)", "ip -n \(name) link set lo up"]
    }
    lines += [
      "ip -n \(lan) link add br0 type bridge",
      // Without a multicast querier, snooping could stop neighbour discovery at the bridge.
      "ip -n \(lan) link set br0 type bridge mcast_snooping 0",
      "ip -n \(lan) link set br0 up",
    ]
    for role in roles where role != .container {
      let host = namespace(role)
      lines += [
        "ip -n \(lan) link add p-\(role.rawValue) type veth peer name eth0 netns \(host)",
        "ip -n \(lan) link set p-\(role.rawValue) master br0 up",
        "ip -n \(host) link set eth0 up",
        "ip -n \(host) addr add \(role.ipv4)/16 dev eth0",
        // nodad: usable at once, no duplicate address detection to wait for.
        "ip -n \(host) addr add \(role.ipv6)/64 dev eth0 nodad",
      ]
    }
    if roles.contains(.container) {
      let origin = namespace(.origin)
      let container = namespace(.container)
      lines += [
        "ip -n \(origin) link add ctr0 type veth peer name eth0 netns \(container)",
        "ip -n \(origin) link set ctr0 up",
        "ip -n \(origin) addr add \(Self.containerGatewayIPv4)/24 dev ctr0",
        "ip -n \(origin) addr add \(Self.containerGatewayIPv6)/64 dev ctr0 nodad",
        "ip -n \(container) link set eth0 up",
        "ip -n \(container) addr add \(Role.container.ipv4)/24 dev eth0",
        "ip -n \(container) addr add \(Role.container.ipv6)/64 dev eth0 nodad",
        "ip -n \(container) route add default via \(Self.containerGatewayIPv4)",
        "ip -n \(container) -6 route add default via \(Self.containerGatewayIPv6)",
        // The sysctl is per namespace: the host's forwarding is not touched.
        "ip netns exec \(origin) sysctl -qw net.ipv4.ip_forward=1",
      ]
    }
    return lines.joined(separator: "\n")
  }

  /// Stops what the test started, then deletes the namespaces (with their links) and the
  /// scratch files. Tolerates a half-built topology.
  fileprivate func remove() async {
    for process in background.withLock({ $0 }) { process.stop() }
    // Anything still running inside our namespaces was started by this test (a client the
    // test lost track of when it failed); deleting a namespace does not end its processes.
    let loop = """
      for name in \(namespaces.joined(separator: " ")); do
        [ -e "/var/run/netns/$name" ] || continue
        for pid in $(ip netns pids "$name"); do kill -9 "$pid"; done
        ip netns delete "$name"
      done
      """
    _ = try? await runDetached(["sh", "-c", loop], check: false)
    try? FileManager.default.removeItem(atPath: directory)
  }

  // MARK: - Running things inside

  /// Runs a command inside a host's namespace to completion, off the cooperative threads.
  @discardableResult
  func run(in role: Role, _ arguments: [String], check: Bool = true) async throws -> CommandResult {
    try await runDetached(["ip", "netns", "exec", namespace(role)] + arguments, check: check)
  }

  /// Starts a program inside a host's namespace; it is killed when the topology is removed,
  /// or earlier with `stop()`. Its output goes to `<directory>/<name>.log`.
  func start(_ name: String, in role: Role, _ arguments: [String]) throws -> BackgroundProcess {
    let process = try BackgroundProcess(
      ["ip", "netns", "exec", namespace(role)] + arguments, log: path("\(name).log"))
    background.withLock { $0.append(process) }
    return process
  }

  /// Starts `server.py` on `ports` and waits until it listens.
  @discardableResult
  func startServer(in role: Role, ports: [Int]) async throws -> BackgroundProcess {
    let server = try start(
      "server-\(role.rawValue)", in: role,
      [TrafficProgram.python, path(TrafficProgram.server.fileName)] + ports.map(String.init))
    try await server.waitForOutput("listening")
    return server
  }

  /// `nft list ruleset` inside the origin, with counter values blanked so that two listings
  /// compare equal when only traffic happened in between.
  func originRuleset() async throws -> String {
    let listing = try await run(in: .origin, ["nft", "list", "ruleset"]).output
    return listing.replacing(/packets \d+ bytes \d+/, with: "packets _ bytes _")
  }
}

/// Builds a topology with `roles` (the origin is always there), runs `body` with it and removes
/// it afterwards, whether `body` returns or throws.
func withTopology<T>(
  _ roles: [Topology.Role], _ body: (Topology) async throws -> T
) async throws -> T {
  let topology = try Topology(roles: roles)
  do {
    try await topology.create()
    let result = try await body(topology)
    await topology.remove()
    return result
  } catch {
    await topology.remove()
    throw error
  }
}
