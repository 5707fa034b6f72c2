/// What one commit to the ruleset changed, as nf_tables announces it to listeners of its event
/// group: which objects of which tables were added or deleted, and the generation it made.
public struct RulesetCommit: Hashable, Sendable {
  /// The ruleset generation this commit produced.
  public var generation: UInt32
  /// Each kind of change once per table: a commit of 4,000 elements is one `.element(.added)`.
  public var changes: Set<RulesetChange>
  /// True when the commit came through the backend this stream was opened from: our own.
  public var isOwn: Bool
  /// The process that committed, as the kernel names it (`nft`, `iptables-nft`), when it does.
  public var process: CommittingProcess?

  public init(
    generation: UInt32, changes: Set<RulesetChange>, isOwn: Bool,
    process: CommittingProcess? = nil
  ) {
    self.generation = generation
    self.changes = changes
    self.isOwn = isOwn
    self.process = process
  }

  /// Whether the commit changed anything in the table `name` of family inet.
  public func touches(inetTable name: String) -> Bool {
    changes.contains { $0.family == RulesetChange.inetFamily && $0.table == name }
  }
}

/// One kind of change to one table.
public struct RulesetChange: Hashable, Sendable, CustomStringConvertible {
  public enum Object: String, Hashable, Sendable {
    case table, chain, rule, set, element, object, flowtable
  }

  public enum Action: String, Hashable, Sendable {
    case added, deleted
  }

  /// `NFPROTO_INET`: the family of our table.
  public static let inetFamily: UInt8 = 1

  public var object: Object
  public var action: Action
  /// The nfproto family of the table (1 inet, 2 ip, 10 ip6, …).
  public var family: UInt8
  public var table: String

  public init(_ object: Object, _ action: Action, family: UInt8, table: String) {
    self.object = object
    self.action = action
    self.family = family
    self.table = table
  }

  public var description: String {
    switch (object, action) {
    case (.table, .deleted): "table \(table) deleted"
    case (.table, .added): "table \(table) added"
    case (.element, _): "elements \(action.rawValue) in table \(table)"
    default: "\(object.rawValue) \(action.rawValue) in table \(table)"
    }
  }
}

/// Who committed: the kernel reports the process id and command name of the committer.
public struct CommittingProcess: Hashable, Sendable, CustomStringConvertible {
  public var pid: UInt32
  public var name: String

  public init(pid: UInt32, name: String) {
    self.pid = pid
    self.name = name
  }

  public var description: String { "\(name) (pid \(pid))" }
}

/// What a subscription delivers.
public enum RulesetEvent: Hashable, Sendable {
  case commit(RulesetCommit)
  /// The kernel dropped events (the socket's queue overflowed, ENOBUFS): any change may have
  /// been missed, so whatever depends on them must read the ruleset again.
  case eventsLost
}
