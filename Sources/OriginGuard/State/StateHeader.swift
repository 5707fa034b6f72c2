import AddressSources
import Foundation

/// The small file that says what the last successful sync applied, where its lists are, and
/// in which kernel generation and boot. Lists live in separate content-addressed files, so the
/// common "nothing changed" run reads a few hundred bytes instead of the whole list.
public struct StateHeader: Codable, Sendable, Equatable {
  public static let currentFormat = 1

  /// A list file under `lists/`, named by its checksum.
  public struct ListFile: Codable, Sendable, Equatable {
    public var file: String
    /// `sha256:<hex>` of the file's bytes.
    public var checksum: String
    public var count: Int
  }

  /// A source's last good fetch.
  public struct SourceRecord: Codable, Sendable, Equatable {
    public var kind: String
    public var fetchedAt: Date
    public var version: String
    /// The source's checksum of its prefixes, whatever their order or notation.
    public var contentChecksum: String
    public var list: ListFile
    /// Updates the provider had not switched to yet (ESA `NeedUpdate`); nil in files of older
    /// versions and when none was pending.
    public var pendingUpdates: [PendingUpdate]? = nil

    enum CodingKeys: String, CodingKey {
      case kind
      case fetchedAt = "fetched_at"
      case version
      case contentChecksum = "content_checksum"
      case list
      case pendingUpdates = "pending_updates"
    }
  }

  public var format: Int
  public var savedAt: Date
  public var table: String
  /// The ruleset generation right after our commit; unchanged means nobody touched the ruleset.
  public var generation: UInt32
  public var bootID: String
  /// The allow-list as applied: canonical prefixes, IPv4 first.
  public var applied: ListFile
  public var sources: [String: SourceRecord]
  /// The ruleset settings the sync installed; nil in files of older versions.
  public var ruleset: RulesetRecord? = nil
  /// Tables earlier syncs installed under another `table:` name that were still in the kernel
  /// at this sync: they keep filtering with a list nobody updates.
  public var formerTables: [String]? = nil
  /// Set by `teardown`: origin-guard itself removed the table then.
  public var tableRemovedAt: Date? = nil

  enum CodingKeys: String, CodingKey {
    case format
    case savedAt = "saved_at"
    case table, generation
    case bootID = "boot_id"
    case applied, sources, ruleset
    case formerTables = "former_tables"
    case tableRemovedAt = "table_removed_at"
  }

  /// Whether this header describes what origin-guard installed in this kernel (boot and
  /// network namespace) under this table name. Only then does it say what is ours: an
  /// element it did not apply is someone else's, a table it did not remove was deleted.
  public func belongs(toTable table: String, identity: String) -> Bool {
    self.table == table && bootID == identity
  }
}
