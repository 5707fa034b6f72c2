import Foundation
import Netfilter
import Synchronization

/// Follows the ruleset's change events on a thread of its own. It remembers which recent
/// generations touched our table, so that a commit refused only because a neighbour committed
/// can be sent again at once (`untouched(after:through:)`), and tells the daemon when someone
/// else changed our table or events were lost (`notices`).
///
/// The kernel queues a commit's announcements before the committer's `sendmsg` returns, so
/// once the generation reads G, every commit up to G can be drained from the subscription.
public final class RulesetWatch: Sendable {
  public enum Notice: Sendable {
    /// Someone else's commit changed our table.
    case changed(RulesetCommit, at: ContinuousClock.Instant)
    /// Events were lost, or the subscription failed and was renewed: anything may have changed.
    case lost(at: ContinuousClock.Instant, reason: String)
  }

  private struct State {
    var subscription: any RulesetSubscription
    var table: String
    var stopped = false
    /// Generation → the inet tables that commit changed; the most recent `logLimit` ones.
    var touched: [UInt32: Set<String>] = [:]
    var order: [UInt32] = []

    mutating func record(_ generation: UInt32, touched changed: Set<String>) {
      if touched.updateValue(changed, forKey: generation) == nil { order.append(generation) }
      if order.count > RulesetWatch.logLimit {
        let dropped = order.count - RulesetWatch.logLimit
        for old in order.prefix(dropped) { touched[old] = nil }
        order.removeFirst(dropped)
      }
    }
  }

  /// How many generations are remembered: a refused commit is re-sent only when every
  /// generation since its plan is known.
  static let logLimit = 4096

  private let source: any RulesetEventSource
  private let state: Mutex<State>
  private let draining = Mutex(())
  private let continuation: AsyncStream<Notice>.Continuation
  /// Others' changes to our table and lost events, for the daemon; unread ones are dropped
  /// when a one-shot command never reads them, beyond the newest 64.
  public let notices: AsyncStream<Notice>

  /// Subscribes now: commits from here on are seen. `start()` begins following them.
  public init(source: any RulesetEventSource, table: String) throws(NetfilterError) {
    self.source = source
    state = Mutex(State(subscription: try source.subscribe(), table: table))
    let (stream, continuation) = AsyncStream.makeStream(
      of: Notice.self, bufferingPolicy: .bufferingNewest(64))
    notices = stream
    self.continuation = continuation
  }

  /// The table whose changes are noticed (the configuration may rename it).
  public var table: String {
    get { state.withLock { $0.table } }
    set { state.withLock { $0.table = newValue } }
  }

  /// Starts the thread that follows the events until `stop()`.
  public func start() {
    let thread = Thread { [self] in follow() }
    thread.name = "ruleset-watch"
    thread.start()
  }

  /// Ends the thread within 5 s; no notices after that.
  public func stop() {
    state.withLock { $0.stopped = true }
    continuation.finish()
  }

  /// True when every commit after `generation` up to `current` was announced and none of them
  /// touched inet table `table`: what was planned against `generation` still holds at `current`.
  public func untouched(table: String, after generation: UInt32, through current: UInt32)
    -> Bool
  {
    drain()
    return state.withLock { state in
      var next = generation
      var steps = 0
      while next != current {
        next &+= 1
        if next == 0 { next = 1 }  // the kernel skips 0
        steps += 1
        guard steps <= Self.logLimit, let tables = state.touched[next], !tables.contains(table)
        else { return false }
      }
      return true
    }
  }

  private func follow() {
    var failures = 0
    while !state.withLock({ $0.stopped }) {
      let subscription = state.withLock { $0.subscription }
      do throws(NetfilterError) {
        // The timeout only bounds how long `stop()` takes to end the thread: events wake it.
        if try subscription.wait(timeout: .seconds(5)) { try drainOrThrow() }
        failures = 0
      } catch {
        failures += 1
        // A socket error: subscribe again (after 0.1 s, 0.2 s, … at most 5 s) and let the
        // daemon check everything, since announcements may have been missed meanwhile.
        Thread.sleep(forTimeInterval: min(5, 0.1 * Double(1 << min(failures - 1, 6))))
        if let renewed = try? source.subscribe() {
          state.withLock { $0.subscription = renewed }
        }
        continuation.yield(
          .lost(at: .now, reason: "the event subscription failed (\(error)); subscribed again"))
      }
    }
  }

  /// Drains what is queued; a failure is left for the thread to notice and handle.
  private func drain() {
    try? drainOrThrow()
  }

  private func drainOrThrow() throws(NetfilterError) {
    // One drain at a time, recorded before the next starts: a drain that finds nothing must
    // not run ahead of the log while another still records what it took.
    let (events, table) = try draining.withLock { _ throws(NetfilterError) in
      let subscription = state.withLock { $0.subscription }
      let events = try subscription.drain()
      let table = state.withLock { state in
        for case .commit(let commit) in events {
          state.record(
            commit.generation,
            touched: Set(
              commit.changes.filter { $0.family == RulesetChange.inetFamily }.map(\.table)))
        }
        return state.table
      }
      return (events, table)
    }
    guard !events.isEmpty else { return }
    let now = ContinuousClock.now
    for event in events {
      switch event {
      case .commit(let commit) where !commit.isOwn && commit.touches(inetTable: table):
        continuation.yield(.changed(commit, at: now))
      case .commit: break
      case .eventsLost:
        continuation.yield(.lost(at: now, reason: "the kernel dropped ruleset events (ENOBUFS)"))
      }
    }
  }
}
