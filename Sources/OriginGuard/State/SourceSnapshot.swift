import AddressSources
import Foundation

/// A source's list as it was last fetched successfully: what stands in for the source when it
/// fails, for up to `max_stale`.
public struct SourceSnapshot: Sendable {
  public var name: String
  public var kind: String
  public var fetchedAt: Date
  public var version: String
  public var entries: [SourceEntry]
  /// The source's own checksum of its prefixes (`SourceVersion.checksum`): an unchanged list
  /// is not rewritten.
  public var contentChecksum: String
  /// Updates the provider had not switched to at that fetch, with when we first saw them.
  public var pendingUpdates: [PendingUpdate]

  public init(
    name: String, kind: String, fetchedAt: Date, version: String, contentChecksum: String,
    entries: [SourceEntry], pendingUpdates: [PendingUpdate] = []
  ) {
    self.pendingUpdates = pendingUpdates
    self.name = name
    self.kind = kind
    self.fetchedAt = fetchedAt
    self.version = version
    self.contentChecksum = contentChecksum
    self.entries = entries
  }

  public init(_ result: SourceResult) {
    self.init(
      name: result.source, kind: result.kind.rawValue, fetchedAt: result.fetchedAt,
      version: result.version.description, contentChecksum: result.version.checksum,
      entries: result.entries, pendingUpdates: result.pendingUpdates)
  }

  /// The snapshot of a saved source record and its list.
  public init(name: String, record: StateHeader.SourceRecord, entries: [SourceEntry]) {
    self.init(
      name: name, kind: record.kind, fetchedAt: record.fetchedAt, version: record.version,
      contentChecksum: record.contentChecksum, entries: entries,
      pendingUpdates: record.pendingUpdates ?? [])
  }

  /// The snapshot as a source result, for merging with fresh results.
  public var asResult: SourceResult {
    SourceResult(
      source: name, kind: SourceKind(rawValue: kind) ?? .static, entries: entries,
      fetchedAt: fetchedAt, version: SourceVersion(checksum: contentChecksum),
      pendingUpdates: pendingUpdates)
  }
}
