import Dispatch
import Synchronization

/// A subscription to the fake's commits: each commit, ours through `apply` or another
/// writer's through a test hook, is queued for every subscriber.
final class FakeSubscription: RulesetSubscription {
  private let queue = Mutex<[RulesetEvent]>([])
  /// Set by `FakeNetfilter.simulateSubscriptionFailure`: the next drain throws it.
  private let failure = Mutex<NetfilterError?>(nil)
  /// Signalled once per queued event, so `wait` wakes without polling.
  private let signal = DispatchSemaphore(value: 0)

  func deliver(_ event: RulesetEvent) {
    queue.withLock { $0.append(event) }
    signal.signal()
  }

  func fail(_ error: NetfilterError) {
    failure.withLock { $0 = error }
    signal.signal()
  }

  func wait(timeout: Duration) throws(NetfilterError) -> Bool {
    if queue.withLock({ !$0.isEmpty }) || failure.withLock({ $0 != nil }) { return true }
    let nanoseconds =
      timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
    _ = signal.wait(timeout: .now() + .nanoseconds(Int(clamping: max(0, nanoseconds))))
    return queue.withLock { !$0.isEmpty }
  }

  func drain() throws(NetfilterError) -> [RulesetEvent] {
    if let error = failure.withLock({ failure in
      defer { failure = nil }
      return failure
    }) {
      throw error
    }
    return queue.withLock { queue in
      defer { queue = [] }
      return queue
    }
  }
}

extension FakeNetfilter: RulesetEventSource {
  public func subscribe() throws(NetfilterError) -> any RulesetSubscription {
    let subscription = FakeSubscription()
    state.withLock { $0.subscribers.append(subscription) }
    return subscription
  }
}

extension FakeNetfilter.State {
  /// Announces the commit that just made `generation` to every subscriber.
  func announce(_ changes: Set<RulesetChange>, isOwn: Bool) {
    let commit = RulesetCommit(
      generation: generation, changes: changes, isOwn: isOwn,
      process: isOwn ? nil : CommittingProcess(pid: 4242, name: "nft"))
    for subscriber in subscribers { subscriber.deliver(.commit(commit)) }
  }
}

extension Transaction {
  /// What the kernel would announce for this transaction, as the fake does.
  var announcedChanges: Set<RulesetChange> {
    var changes = Set<RulesetChange>()
    func add(_ object: RulesetChange.Object, _ action: RulesetChange.Action, _ table: String) {
      changes.insert(RulesetChange(object, action, family: RulesetChange.inetFamily, table: table))
    }
    for change in structureChanges {
      switch change {
      case .addTable(let table): add(.table, .added, table)
      case .deleteTable(let table): add(.table, .deleted, table)
      case .addSet(let table, _): add(.set, .added, table)
      case .addChain(let table, _, _): add(.chain, .added, table)
      case .flushChain(let table, _): add(.rule, .deleted, table)
      case .deleteChain(let table, _): add(.chain, .deleted, table)
      case .addRule(let table, _, _): add(.rule, .added, table)
      }
    }
    for change in elementRemovals { add(.element, .deleted, change.table) }
    for change in elementAdditions { add(.element, .added, change.table) }
    return changes
  }
}
