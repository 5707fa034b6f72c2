import AddressSet
import Foundation

/// One prefix of a source with where it came from.
public struct SourceEntry: Hashable, Sendable {
  public let prefix: AnyIPPrefix
  public let origin: Origin
  /// What the parser changed, e.g. host bits masked in `1.1.1.1/25`.
  public let notes: [ParsedPrefix.Note]

  public init(prefix: AnyIPPrefix, origin: Origin, notes: [ParsedPrefix.Note] = []) {
    self.prefix = prefix
    self.origin = origin
    self.notes = notes
  }
}

/// An entry left out because the source is configured with `on_invalid_entry: skip`.
public struct SkippedEntry: Hashable, Sendable, CustomStringConvertible {
  public let origin: Origin
  /// The text as the source gave it.
  public let entry: String
  public let reason: String

  public init(origin: Origin, entry: String, reason: String) {
    self.origin = origin
    self.entry = entry
    self.reason = reason
  }

  public var description: String { "\(origin): skipped \(MessageLimit.quote(entry)): \(reason)" }
}

/// What identifies one upstream document or API answer.
public struct UpstreamVersion: Hashable, Sendable, CustomStringConvertible {
  /// HTTP validators of a downloaded document, when the server sent them.
  public let etag: String?
  public let lastModified: String?
  /// The Alibaba Cloud request id: what support asks for.
  public let requestID: String?

  public init(etag: String? = nil, lastModified: String? = nil, requestID: String? = nil) {
    self.etag = etag
    self.lastModified = lastModified
    self.requestID = requestID
  }

  public var description: String {
    var parts: [String] = []
    if let etag { parts.append("etag \(etag)") }
    if let lastModified { parts.append("last-modified \(lastModified)") }
    if let requestID { parts.append("request id \(requestID)") }
    return parts.isEmpty ? "no version" : parts.joined(separator: ", ")
  }
}

/// What identifies the fetched content, for logs, state and "has anything changed?".
public struct SourceVersion: Hashable, Sendable, CustomStringConvertible {
  /// `sha256:` of the accepted prefixes, sorted and deduplicated: equal lists, equal checksums,
  /// whatever the order or notation upstream.
  public let checksum: String
  /// Per document, domain or site: ETag, Last-Modified, request id.
  public let upstream: [Origin: UpstreamVersion]

  public init(checksum: String, upstream: [Origin: UpstreamVersion] = [:]) {
    self.checksum = checksum
    self.upstream = upstream
  }

  public var description: String {
    ([checksum]
      + upstream.sorted { $0.key.description < $1.key.description }.map { "\($0.key): \($0.value)" })
      .joined(separator: "; ")
  }
}

/// The complete list of one source, as of `fetchedAt`.
public struct SourceResult: Sendable {
  public let source: String
  public let kind: SourceKind
  /// Every accepted entry in source order; the same prefix may appear under several origins.
  public let entries: [SourceEntry]
  /// Entries dropped under `on_invalid_entry: skip`. Always empty under `fail`.
  public let skipped: [SkippedEntry]
  public let fetchedAt: Date
  public let version: SourceVersion
  /// True when the server answered 304 Not Modified and the remembered list was reused.
  public let unchanged: Bool
  /// Newer lists the provider has not switched to yet; while one is pending the entries hold
  /// both lists (unless configured otherwise).
  public var pendingUpdates: [PendingUpdate]

  public init(
    source: String, kind: SourceKind, entries: [SourceEntry], skipped: [SkippedEntry] = [],
    fetchedAt: Date, version: SourceVersion, unchanged: Bool = false,
    pendingUpdates: [PendingUpdate] = []
  ) {
    self.pendingUpdates = pendingUpdates
    self.source = source
    self.kind = kind
    self.entries = entries
    self.skipped = skipped
    self.fetchedAt = fetchedAt
    self.version = version
    self.unchanged = unchanged
  }

  /// The entries as one merged set per family.
  public var set: DualStackSet { DualStackSet(prefixes: entries.map(\.prefix)) }
}

/// The five kinds of source, as named in configuration.
public enum SourceKind: String, Hashable, Sendable, CaseIterable, Codable, CustomStringConvertible {
  case `static`
  case file
  case url
  case alibabaCDN = "alibaba-cdn"
  case alibabaESA = "alibaba-esa"

  public var description: String { rawValue }
}

extension SourceVersion {
  /// The checksum of a list of prefixes, independent of order and duplicates: the prefixes
  /// sorted by address and length, deduplicated, hashed in binary (family, network bytes,
  /// length). Sorting numbers rather than text keeps a 100,000-entry list cheap to checksum.
  static func checksum(of entries: [SourceEntry]) -> String {
    var v4: [UInt64] = []
    var v6: [(UInt128, UInt8)] = []
    for entry in entries {
      switch entry.prefix {
      case .v4(let prefix): v4.append(UInt64(prefix.network.bits) << 8 | UInt64(prefix.length))
      case .v6(let prefix): v6.append((prefix.network.bits, UInt8(prefix.length)))
      }
    }
    v4.sort()
    v6.sort { $0 < $1 }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(v4.count * 6 + v6.count * 18)
    var previous4: UInt64?
    for key in v4 where key != previous4 {
      previous4 = key
      bytes.append(4)
      for shift in stride(from: 32, through: 0, by: -8) {
        bytes.append(UInt8(truncatingIfNeeded: key >> shift))
      }
    }
    var previous6: (UInt128, UInt8)?
    for key in v6 where previous6.map({ $0 != key }) ?? true {
      previous6 = key
      bytes.append(6)
      for shift in stride(from: 120, through: 0, by: -8) {
        bytes.append(UInt8(truncatingIfNeeded: key.0 >> shift))
      }
      bytes.append(key.1)
    }
    return "sha256:" + SHA256Hex.digest(bytes)
  }
}
