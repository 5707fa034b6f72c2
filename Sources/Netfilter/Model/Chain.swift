/// A chain and its rules. A base chain is attached to a netfilter hook and sees packets; a
/// regular chain only runs when a rule jumps to it.
public struct Chain: Hashable, Sendable, Codable {
  public var name: String
  public var base: BaseChain?
  public var rules: [Rule]

  public init(name: String, base: BaseChain? = nil, rules: [Rule] = []) {
    self.name = name
    self.base = base
    self.rules = rules
  }
}

/// Where a base chain sits: its type, hook, priority and default policy.
public struct BaseChain: Hashable, Sendable, Codable, CustomStringConvertible {
  public var type: String
  public var hook: Hook
  public var priority: Int32
  public var policy: Policy

  public init(type: String = "filter", hook: Hook, priority: Int32, policy: Policy = .accept) {
    self.type = type
    self.hook = hook
    self.priority = priority
    self.policy = policy
  }

  public var description: String {
    "type \(type) hook \(hook) priority \(priority); policy \(policy)"
  }
}

/// A netfilter hook of the inet family (`NF_INET_*`).
public struct Hook: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
  public var rawValue: UInt32
  public init(rawValue: UInt32) { self.rawValue = rawValue }

  public static let prerouting = Hook(rawValue: 0)
  public static let input = Hook(rawValue: 1)
  public static let forward = Hook(rawValue: 2)
  public static let output = Hook(rawValue: 3)
  public static let postrouting = Hook(rawValue: 4)
  public static let ingress = Hook(rawValue: 5)

  public var description: String {
    let names = ["prerouting", "input", "forward", "output", "postrouting", "ingress"]
    return rawValue < names.count ? names[Int(rawValue)] : "hook \(rawValue)"
  }
}

/// A base chain's default verdict (`NF_ACCEPT`, `NF_DROP`).
public struct Policy: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
  public var rawValue: UInt32
  public init(rawValue: UInt32) { self.rawValue = rawValue }

  public static let drop = Policy(rawValue: 0)
  public static let accept = Policy(rawValue: 1)

  public var description: String {
    switch self {
    case .accept: "accept"
    case .drop: "drop"
    default: "policy \(rawValue)"
    }
  }
}
