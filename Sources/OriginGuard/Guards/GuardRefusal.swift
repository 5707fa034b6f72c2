import AddressSet
import AddressSources

/// Why a list was refused. A refusal changes nothing in the kernel.
public enum GuardRefusal: Sendable, Hashable, CustomStringConvertible {
  /// The merged list is empty: applying it would drop every CDN node.
  case emptyList
  case tooFewEntries(count: Int, minimum: Int)
  case tooManyEntries(count: Int, maximum: Int)
  /// Applying would remove more than `max_shrink_percent` of a family's addresses.
  case shrinksTooMuch(family: AddressFamily, removedPercent: Double, maximumPercent: Double)
  /// A merged prefix broader than `min_prefix_length_v4/v6`.
  case prefixTooBroad(prefix: AnyIPPrefix, minimumLength: Int, provenance: [Provenance])
  /// `0.0.0.0/0` or `::/0`: an allow-list that allows everyone.
  case allowsEverything(prefix: AnyIPPrefix, provenance: [Provenance])

  /// `--force` overrides the size guards only; a list that is empty, too broad or allows
  /// everything is never applied.
  public var isOverridable: Bool {
    switch self {
    case .tooFewEntries, .tooManyEntries, .shrinksTooMuch: true
    case .emptyList, .prefixTooBroad, .allowsEverything: false
    }
  }

  /// A short identifier for metrics labels and JSON.
  public var kind: String {
    switch self {
    case .emptyList: "empty"
    case .tooFewEntries: "min_entries"
    case .tooManyEntries: "max_entries"
    case .shrinksTooMuch: "max_shrink_percent"
    case .prefixTooBroad: "min_prefix_length"
    case .allowsEverything: "allows_everything"
    }
  }

  public var description: String {
    switch self {
    case .emptyList:
      "the merged list is empty; applying it would lock every CDN node out"
    case .tooFewEntries(let count, let minimum):
      "the merged list has \(count) prefixes, fewer than min_entries (\(minimum)); use --force if this is expected"
    case .tooManyEntries(let count, let maximum):
      "the merged list has \(count) prefixes, more than max_entries (\(maximum)); use --force if this is expected"
    case .shrinksTooMuch(let family, let removed, let maximum):
      "applying would remove \(Self.percent(removed)) of the \(family) addresses in the kernel, more than max_shrink_percent (\(Self.percent(maximum))); use --force if this is expected"
    case .prefixTooBroad(let prefix, let minimum, let provenance):
      "\(prefix) is broader than /\(minimum), too broad for a CDN node\(Self.from(provenance)); fix the source or lower min_prefix_length_\(prefix.family == .ipv4 ? "v4" : "v6")"
    case .allowsEverything(let prefix, let provenance):
      "\(prefix) allows every address\(Self.from(provenance)); an allow-list that allows everyone protects nothing"
    }
  }

  static func percent(_ value: Double) -> String {
    "\((value * 10).rounded() / 10)%"
  }

  static func from(_ provenance: [Provenance]) -> String {
    provenance.isEmpty
      ? "" : " (from " + MessageLimit.list(provenance.map(\.description), noun: "listings") + ")"
  }
}
