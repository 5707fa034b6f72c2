/// What to do with an entry that is not an address or prefix.
public enum InvalidEntryAction: String, Hashable, Sendable, CaseIterable, Codable {
  /// Fail the whole source (the default: a list with garbage in it is not trustworthy).
  case fail
  /// Drop the entry, report it in `SourceResult.skipped` and log a warning.
  case skip
}

/// Checks every source applies to its entries, configured per source.
public struct EntryPolicy: Hashable, Sendable {
  /// `on_invalid_entry`.
  public var onInvalidEntry: InvalidEntryAction
  /// `min_prefix_length_v4`: entries broader than this fail the source. /8 admits any real CDN
  /// range while refusing `0.0.0.0/0` or a typo such as `/1`.
  public var minimumIPv4PrefixLength: Int
  /// `min_prefix_length_v6`.
  public var minimumIPv6PrefixLength: Int

  public init(
    onInvalidEntry: InvalidEntryAction = .fail, minimumIPv4PrefixLength: Int = 8,
    minimumIPv6PrefixLength: Int = 32
  ) {
    self.onInvalidEntry = onInvalidEntry
    self.minimumIPv4PrefixLength = minimumIPv4PrefixLength
    self.minimumIPv6PrefixLength = minimumIPv6PrefixLength
  }

  func validate(source: String) throws(SourceError) {
    guard (0...32).contains(minimumIPv4PrefixLength) else {
      throw .invalidConfiguration(
        source: source, problem: "min_prefix_length_v4 must be within 0...32")
    }
    guard (0...128).contains(minimumIPv6PrefixLength) else {
      throw .invalidConfiguration(
        source: source, problem: "min_prefix_length_v6 must be within 0...128")
    }
  }
}
