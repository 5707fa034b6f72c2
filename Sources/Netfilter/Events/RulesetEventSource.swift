/// Opens subscriptions to the ruleset's change events (nf_tables' `NFNLGRP_NFTABLES` group).
/// Implemented by `NetlinkBackend` over netlink and by `FakeNetfilter` in memory. What to do
/// about an event — repair, retry, back off — is the caller's business.
public protocol RulesetEventSource: Sendable {
  /// A new subscription: it sees every commit from now on, in the namespace of the backend.
  func subscribe() throws(NetfilterError) -> any RulesetSubscription
}

/// A stream of ruleset events. `wait` and `drain` may be called from different threads; one
/// thread at a time drains.
public protocol RulesetSubscription: AnyObject, Sendable {
  /// Blocks until events are queued or `timeout` passes; consumes nothing. True when events
  /// are queued.
  func wait(timeout: Duration) throws(NetfilterError) -> Bool

  /// The events queued now, without waiting, oldest first. A commit is delivered once the
  /// kernel has announced its generation (its last message).
  func drain() throws(NetfilterError) -> [RulesetEvent]
}
