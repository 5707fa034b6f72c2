import AddressSet
import AddressSources
import Foundation

/// Prefixes one source stopped listing, noticed by the same fetch.
public struct RetainedRemoval: Sendable, Equatable {
  public var set: DualStackSet
  /// When a sync first found the source no longer listing them.
  public var removedAt: Date

  public init(set: DualStackSet, removedAt: Date) {
    self.set = set
    self.removedAt = removedAt
  }
}

/// `retain_removed`: what each source stopped listing and is still allowed, because a CDN
/// that drops a node from its API may keep sending from it for a while (and an API that
/// briefly answers with part of its list must not cut the rest off at once). Prefixes are
/// interval sets: a /24 dropped from inside a /16 the source still lists is never retained,
/// a /16 reduced to one /17 retains the other /17.
public struct RemovalGrace: Sendable, Equatable {
  /// By source name; sources with nothing retained are left out.
  public var sources: [String: [RetainedRemoval]]

  public init(sources: [String: [RetainedRemoval]] = [:]) {
    self.sources = sources.filter { !$0.value.isEmpty }
  }

  public var isEmpty: Bool { sources.isEmpty }

  /// Everything retained, all sources.
  public var set: DualStackSet {
    sources.values.joined().reduce(DualStackSet()) { $0.union($1.set) }
  }

  /// One source's retained prefixes after a fetch.
  ///
  /// - Parameters:
  ///   - earlier: what was retained after the last sync.
  ///   - previous: what the source listed at the last sync; nil when unknown (nothing can be
  ///     found removed then).
  ///   - listed: what it lists now.
  ///   - retain: the source's `retain_removed`; zero retains nothing.
  /// - Returns: prefixes newly unlisted (since `now`) and earlier ones still within `retain`,
  ///   minus whatever the source lists again; oldest first.
  public static func advance(
    _ earlier: [RetainedRemoval], previous: DualStackSet?, listed: DualStackSet,
    retain: Duration, now: Date
  ) -> [RetainedRemoval] {
    guard retain > .zero else { return [] }
    let seconds = retain.timeInterval
    var byTime: [Date: DualStackSet] = [:]
    var alreadyRetained = DualStackSet()
    for removal in earlier {
      // A clock set back must not stretch the grace period: it never starts in the future.
      let removedAt = min(removal.removedAt, now)
      guard removedAt.addingTimeInterval(seconds) > now else { continue }
      let kept = removal.set.subtracting(listed)
      alreadyRetained = alreadyRetained.union(removal.set)
      guard !kept.isEmpty else { continue }
      byTime[removedAt] = (byTime[removedAt] ?? DualStackSet()).union(kept)
    }
    if let previous {
      // What was retained already keeps the time it was first found removed.
      let removed = previous.subtracting(listed).subtracting(alreadyRetained)
      if !removed.isEmpty { byTime[now] = (byTime[now] ?? DualStackSet()).union(removed) }
    }
    return byTime.sorted { $0.key < $1.key }.map {
      RetainedRemoval(set: $0.value, removedAt: $0.key)
    }
  }

  /// Only what `allowed` also holds: a retained prefix was applied at the last sync, so
  /// anything else in a grace record is not origin-guard's doing and is not allowed.
  public func limited(to allowed: DualStackSet) -> RemovalGrace {
    RemovalGrace(
      sources: sources.mapValues { removals in
        removals.compactMap { removal in
          let set = removal.set.intersection(allowed)
          return set.isEmpty ? nil : RetainedRemoval(set: set, removedAt: removal.removedAt)
        }
      })
  }
}

/// A prefix allowed only because its source listed it recently (`retain_removed`).
public struct RetainedPrefix: Sendable, Equatable {
  public var prefix: AnyIPPrefix
  public var source: String
  public var removedAt: Date
  public var until: Date

  public init(prefix: AnyIPPrefix, source: String, removedAt: Date, until: Date) {
    self.prefix = prefix
    self.source = source
    self.removedAt = removedAt
    self.until = until
  }

  /// `198.51.100.0/24 (source esa) kept until … (removed by the source at …)`
  public var description: String {
    "\(prefix) (source \(source)) "
      + Origin.retained(removedAt: removedAt, until: until).description
  }
}

extension Duration {
  /// In seconds, as `Date` arithmetic wants it.
  var timeInterval: TimeInterval {
    let (seconds, attoseconds) = components
    return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
  }
}
