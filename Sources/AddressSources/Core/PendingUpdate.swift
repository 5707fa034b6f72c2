import Foundation

/// A newer list the provider has published but not yet switched to (ESA's `NeedUpdate`): the
/// nodes it adds and the ones it will stop using once the update is confirmed.
public struct PendingUpdate: Hashable, Sendable, Codable, CustomStringConvertible {
  /// What the update belongs to, e.g. `ESA site 1`.
  public var subject: String
  public var added: Int
  public var removed: Int
  /// The checksum of the newer list: a different newer list is a different update.
  public var latestChecksum: String
  /// When origin-guard first saw this update (the provider does not say).
  public var since: Date

  public init(subject: String, added: Int, removed: Int, latestChecksum: String, since: Date) {
    self.subject = subject
    self.added = added
    self.removed = removed
    self.latestChecksum = latestChecksum
    self.since = since
  }

  enum CodingKeys: String, CodingKey {
    case subject, added, removed
    case latestChecksum = "latest_checksum"
    case since
  }

  /// This update as first seen: `since` from `earlier` when that is the same update.
  public func continuing(_ earlier: [PendingUpdate]) -> PendingUpdate {
    var update = self
    if let seen = earlier.first(where: {
      $0.subject == subject && $0.latestChecksum == latestChecksum
    }) {
      update.since = min(seen.since, since)
    }
    return update
  }

  /// `ESA site 1: update awaiting confirmation since 2026-12-01T10:00:00Z adds 2, removes 1 prefixes`
  public var description: String {
    "\(subject): update awaiting confirmation since \(since.formatted(.iso8601)) adds \(added), removes \(removed) prefixes"
  }
}
