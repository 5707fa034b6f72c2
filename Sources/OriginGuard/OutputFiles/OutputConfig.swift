import AddressSources
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// One entry of `outputs:`: a file kept in step with the allow-list after every successful
/// sync, and the commands that check it and tell its reader.
public struct OutputConfig: Sendable, Hashable {
  /// `name`: in logs and the `output` label of the metrics; the path when not given.
  public var name: String
  public var format: ListFormat
  /// `path`: absolute, in an existing directory only origin-guard's user (or root) can write.
  public var path: String
  public var mode: mode_t
  /// `owner` as written (`www-data`, `root:www-data`) and resolved; nil keeps origin-guard's.
  public var ownerName: String?
  public var owner: FileOwnership?
  /// `sources`: the sources whose lists go in; nil writes the whole list the firewall allows.
  public var sources: [String]?
  /// `check`: run with the new content at `path`; failing, the old content is put back.
  public var check: [String]?
  /// `on_change`: run once after the content changed.
  public var onChange: [String]?
  /// `timeout`: for `check` and `on_change` each.
  public var timeout: Duration

  public init(
    name: String, format: ListFormat, path: String, mode: mode_t = Self.defaultMode,
    ownerName: String? = nil, owner: FileOwnership? = nil, sources: [String]? = nil,
    check: [String]? = nil, onChange: [String]? = nil, timeout: Duration = Self.defaultTimeout
  ) {
    self.name = name
    self.format = format
    self.path = path
    self.mode = mode
    self.ownerName = ownerName
    self.owner = owner
    self.sources = sources
    self.check = check
    self.onChange = onChange
    self.timeout = timeout
  }

  /// Web servers read their configuration as root, and the list is no secret.
  public static let defaultMode: mode_t = 0o644
  public static let defaultTimeout: Duration = .seconds(30)
}
