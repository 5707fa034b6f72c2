import Foundation

/// What a `url` source remembers about a document between runs: its validators and the
/// strings it held, so that a 304 Not Modified can be answered from memory.
public struct RememberedDocument: Codable, Hashable, Sendable {
  public struct Entry: Codable, Hashable, Sendable {
    /// The string as the document gave it (before parsing: policy changes apply on reuse).
    public var text: String
    /// The line, for text lists.
    public var line: Int?
    /// True when the document had a non-string here (a number in a JSON array).
    public var notAString: Bool

    public init(text: String, line: Int?, notAString: Bool = false) {
      self.text = text
      self.line = line
      self.notAString = notAString
    }
  }

  public var url: String
  public var etag: String?
  public var lastModified: String?
  public var entries: [Entry]
  public var fetchedAt: Date

  public init(url: String, etag: String?, lastModified: String?, entries: [Entry], fetchedAt: Date)
  {
    self.url = url
    self.etag = etag
    self.lastModified = lastModified
    self.entries = entries
    self.fetchedAt = fetchedAt
  }
}

/// Storage of remembered documents, keyed by an opaque string the source derives from the
/// URL, format and selectors. The reconciler backs it with its state directory.
public protocol ConditionalFetchStore: Sendable {
  /// The remembered document, or nil when there is none. Throws when the store is unreadable.
  func load(key: String) async throws -> RememberedDocument?
  func save(_ document: RememberedDocument, key: String) async throws
}
