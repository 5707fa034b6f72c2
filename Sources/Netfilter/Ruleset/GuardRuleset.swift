import AddressSet

/// What origin-guard puts in the kernel, derived from options: one `inet` table holding an
/// interval set per address family, a base chain that sends traffic to the guarded ports into
/// the `guard` chain, and the `guard` chain, which accepts allowed sources and drops the rest.
///
/// Every other port, and every packet the base chain does not send to `guard`, is untouched.
public struct GuardRuleset: Hashable, Sendable {
  /// Where the base chain hooks in.
  public enum HookMode: String, Hashable, Sendable, CaseIterable {
    /// Hook `input`: traffic to services listening on this host.
    case input
    /// Hook `prerouting` before DNAT, for ports Docker publishes (DNAT at -100 turns them into
    /// forwarded traffic that never reaches `input`). Only packets addressed to this host
    /// (`fib daddr type local`) are guarded, so routed traffic is left alone.
    case prerouting
  }

  /// A transport protocol whose destination ports are guarded.
  public enum TransportProtocol: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case tcp = 6
    case udp = 17

    public var description: String { self == .tcp ? "tcp" : "udp" }
  }

  /// `limit rate <rate>/<period> log prefix "<prefix>"` before the final drop.
  public struct DropLog: Hashable, Sendable {
    public var prefix: String
    public var limit: RateLimit

    /// Defaults to 10 lines a minute, so a flood cannot flood the log.
    public init(
      prefix: String = "origin-guard drop: ",
      limit: RateLimit = RateLimit(rate: 10, periodSeconds: 60)
    ) {
      self.prefix = prefix
      self.limit = limit
    }
  }

  public var tableName = "origin_guard"
  public var ipv4SetName = "allowed_v4"
  public var ipv6SetName = "allowed_v6"
  public var guardChainName = "guard"
  /// Defaults to `input` or `prerouting`, after the hook.
  public var baseChainName: String?
  public var hookMode = HookMode.input
  /// Defaults to -10 for `input` (before the usual filter chains at 0) and -150 for
  /// `prerouting` (`mangle`, before Docker's DNAT at -100).
  public var priority: Int32?
  /// Guarded destination ports; at least one.
  public var ports: [UInt16] = [80, 443]
  /// One jump rule per protocol, in this order.
  public var protocols: [TransportProtocol] = [.tcp]
  /// Accept packets of established and related connections before the source check, so
  /// connections survive an allow-list change and replies to the host's own connections pass.
  public var acceptEstablishedRelated = true
  public var dropLog: DropLog?

  public init() {}

  public var resolvedBaseChainName: String { baseChainName ?? hookMode.rawValue }

  public var resolvedPriority: Int32 {
    priority ?? (hookMode == .input ? -10 : -150)
  }

  public func setName(for family: AddressFamily) -> String {
    family == .ipv4 ? ipv4SetName : ipv6SetName
  }

  /// The table as it should be in the kernel.
  public var table: Table {
    Table(
      name: tableName,
      sets: [.addresses(.ipv4, name: ipv4SetName), .addresses(.ipv6, name: ipv6SetName)],
      chains: [baseChain, guardChain]
    )
  }
}
