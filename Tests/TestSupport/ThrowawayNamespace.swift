import Foundation

/// A network namespace created for one test and deleted afterwards, so that kernel tests never
/// touch the host's ruleset and can run in parallel.
public struct ThrowawayNamespace: Sendable {
  public let name: String

  /// For `NetlinkBackend(networkNamespace:)`.
  public var path: String { "/var/run/netns/\(name)" }

  /// Runs a command inside the namespace.
  @discardableResult
  public func run(_ arguments: [String], input: String? = nil, check: Bool = true) throws
    -> CommandResult
  {
    try TestSupport.run(["ip", "netns", "exec", name] + arguments, input: input, check: check)
  }

  /// Runs `nft` inside the namespace.
  @discardableResult
  public func nft(_ arguments: String..., input: String? = nil, check: Bool = true) throws
    -> CommandResult
  {
    try run(["nft"] + arguments, input: input, check: check)
  }

  /// Loads a ruleset file's text with `nft -f -`.
  public func load(ruleset text: String) throws {
    try nft("-f", "-", input: text)
  }

  /// `nft -j <arguments>` parsed: the objects of the `nftables` array, without `metainfo`.
  public func nftJSON(_ arguments: String...) throws -> [[String: Any]] {
    let output = try run(["nft", "-j"] + arguments).output
    guard let root = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any],
      let items = root["nftables"] as? [[String: Any]]
    else {
      throw CommandFailure(
        arguments: ["nft", "-j"] + arguments,
        result: CommandResult(status: 0, output: output, errorOutput: "not nft JSON"))
    }
    return items.filter { $0["metainfo"] == nil }
  }
}

/// Whether kernel tests can run here, and what to do when they cannot.
public enum KernelTests {
  /// Under CI=true kernel tests must run (and fail if namespaces are unavailable), never skip.
  public static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"

  /// Whether this process can create a network namespace (root, `ip` installed), probed once.
  public static let canCreateNamespaces: Bool = {
    let probe = "og-probe-\(UInt32.random(in: 0...UInt32.max))"
    guard (try? TestSupport.run(["ip", "netns", "add", probe]))?.succeeded == true else {
      return false
    }
    _ = try? TestSupport.run(["ip", "netns", "delete", probe], check: false)
    return true
  }()

  /// Enable kernel tests when namespaces work, and always under CI so that they fail there.
  public static var enabled: Bool { isCI || canCreateNamespaces }
}

/// Creates a fresh network namespace, runs `body` with it, and deletes it afterwards, whether
/// `body` returns or throws.
public func withThrowawayNamespace<T>(_ body: (ThrowawayNamespace) async throws -> T) async throws
  -> T
{
  let namespace = ThrowawayNamespace(
    name: "og-\(String(UInt64.random(in: 0...UInt64.max), radix: 36))")
  try run(["ip", "netns", "add", namespace.name])
  do {
    let result = try await body(namespace)
    try run(["ip", "netns", "delete", namespace.name])
    return result
  } catch {
    _ = try? run(["ip", "netns", "delete", namespace.name], check: false)
    throw error
  }
}

/// Two throwaway namespaces joined by a veth pair: `server` has 192.0.2.1/24 (and
/// 2001:db8::1/64), `client` 192.0.2.2/24 (and 2001:db8::2/64), both with loopback up.
/// For tests that send real packets at the guarded ports.
public func withServerAndClient<T>(
  _ body: (_ server: ThrowawayNamespace, _ client: ThrowawayNamespace) async throws -> T
) async throws -> T {
  try await withThrowawayNamespace { server in
    try await withThrowawayNamespace { client in
      try run([
        "ip", "link", "add", "og0", "netns", server.name, "type", "veth", "peer", "name", "og0",
        "netns", client.name,
      ])
      for (namespace, host) in [(server, 1), (client, 2)] {
        try namespace.run(["ip", "link", "set", "lo", "up"])
        try namespace.run(["ip", "addr", "add", "192.0.2.\(host)/24", "dev", "og0"])
        try namespace.run(["ip", "addr", "add", "2001:db8::\(host)/64", "dev", "og0", "nodad"])
        try namespace.run(["ip", "link", "set", "og0", "up"])
      }
      return try await body(server, client)
    }
  }
}

extension ThrowawayNamespace {
  /// Tries a TCP connection from this namespace. `.dropped` when nothing answered within the
  /// timeout, `.answered` when the peer accepted or refused (RST) the connection.
  public func connectTCP(to address: String, port: Int, timeoutSeconds: Int = 1) throws
    -> ConnectionOutcome
  {
    // SIGKILL: the test process may have SIGTERM blocked, and children inherit the mask.
    // --foreground: signal only the child, not timeout itself (exit status 137).
    let result = try run(
      [
        "timeout", "--foreground", "-s", "KILL", String(timeoutSeconds), "bash", "-c",
        "exec 3<>/dev/tcp/\(address)/\(port)",
      ],
      check: false)
    return result.status == 124 || result.status == 137 ? .dropped : .answered
  }
}

public enum ConnectionOutcome: Sendable, Equatable {
  case dropped
  case answered
}
