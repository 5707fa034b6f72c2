import Netfilter

/// The ruleset settings a sync installed, kept in the state header. The next sync rebuilds
/// that table from them: when the kernel still holds exactly it, a structure that differs from
/// the configuration is a change of our configuration, not something someone else did.
public struct RulesetRecord: Codable, Sendable, Equatable {
  public struct DropLogRecord: Codable, Sendable, Equatable {
    public var prefix: String
    public var rate: UInt64
    public var periodSeconds: UInt64
    public var burst: UInt32

    enum CodingKeys: String, CodingKey {
      case prefix, rate
      case periodSeconds = "period_seconds"
      case burst
    }
  }

  public var table: String
  public var ipv4Set: String
  public var ipv6Set: String
  public var guardChain: String
  public var baseChain: String
  /// `input` or `prerouting`.
  public var hook: String
  public var priority: Int32
  public var ports: [UInt16]
  /// `tcp`, `udp`.
  public var protocols: [String]
  public var acceptEstablishedRelated: Bool
  public var dropLog: DropLogRecord?

  enum CodingKeys: String, CodingKey {
    case table
    case ipv4Set = "ipv4_set"
    case ipv6Set = "ipv6_set"
    case guardChain = "guard_chain"
    case baseChain = "base_chain"
    case hook, priority, ports, protocols
    case acceptEstablishedRelated = "accept_established_related"
    case dropLog = "drop_log"
  }

  public init(_ ruleset: GuardRuleset) {
    table = ruleset.tableName
    ipv4Set = ruleset.ipv4SetName
    ipv6Set = ruleset.ipv6SetName
    guardChain = ruleset.guardChainName
    baseChain = ruleset.resolvedBaseChainName
    hook = ruleset.hookMode.rawValue
    priority = ruleset.resolvedPriority
    ports = ruleset.ports
    protocols = ruleset.protocols.map(\.description)
    acceptEstablishedRelated = ruleset.acceptEstablishedRelated
    dropLog = ruleset.dropLog.map {
      DropLogRecord(
        prefix: $0.prefix, rate: $0.limit.rate, periodSeconds: $0.limit.periodSeconds,
        burst: $0.limit.burst)
    }
  }

  /// The ruleset these settings describe; nil when a value is not one this version knows
  /// (a hand-edited file), so nothing is inferred from it.
  public var ruleset: GuardRuleset? {
    guard let hookMode = GuardRuleset.HookMode(rawValue: hook) else { return nil }
    var protocols: [GuardRuleset.TransportProtocol] = []
    for name in self.protocols {
      guard let known = GuardRuleset.TransportProtocol.allCases.first(where: { "\($0)" == name })
      else { return nil }
      protocols.append(known)
    }
    var ruleset = GuardRuleset()
    ruleset.tableName = table
    ruleset.ipv4SetName = ipv4Set
    ruleset.ipv6SetName = ipv6Set
    ruleset.guardChainName = guardChain
    ruleset.baseChainName = baseChain
    ruleset.hookMode = hookMode
    ruleset.priority = priority
    ruleset.ports = ports
    ruleset.protocols = protocols
    ruleset.acceptEstablishedRelated = acceptEstablishedRelated
    ruleset.dropLog = dropLog.map {
      GuardRuleset.DropLog(
        prefix: $0.prefix,
        limit: RateLimit(rate: $0.rate, periodSeconds: $0.periodSeconds, burst: $0.burst))
    }
    return ruleset
  }

  /// The settings that differ from `other`, as an operator would name them:
  /// `ports 80,443 → 80,443,8443`.
  public func changes(to other: RulesetRecord) -> [String] {
    func list<T>(_ values: [T]) -> String { values.map { "\($0)" }.joined(separator: ",") }
    func dropLog(_ record: DropLogRecord?) -> String {
      guard let record else { return "off" }
      return
        "\(String(reflecting: record.prefix)) \(record.rate) per \(record.periodSeconds)s burst \(record.burst)"
    }
    let fields: [(String, String, String)] = [
      ("table", table, other.table),
      ("ipv4_set", ipv4Set, other.ipv4Set),
      ("ipv6_set", ipv6Set, other.ipv6Set),
      ("guard_chain", guardChain, other.guardChain),
      ("base_chain", baseChain, other.baseChain),
      ("hook", hook, other.hook),
      ("priority", "\(priority)", "\(other.priority)"),
      ("ports", list(ports), list(other.ports)),
      ("protocols", list(protocols), list(other.protocols)),
      ("accept_established", "\(acceptEstablishedRelated)", "\(other.acceptEstablishedRelated)"),
      ("drop_log", dropLog(self.dropLog), dropLog(other.dropLog)),
    ]
    return fields.filter { $0.1 != $0.2 }.map { "\($0.0) \($0.1) → \($0.2)" }
  }
}
