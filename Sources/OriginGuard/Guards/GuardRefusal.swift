import AddressSet
import AddressSources

/// Why a list was refused. A refusal changes nothing in the kernel.
public enum GuardRefusal: Sendable, Hashable, CustomStringConvertible {
  /// The merged list is empty: applying it would drop every CDN node.
  case emptyList
  case tooFewEntries(count: Int, minimum: Int)
  case tooManyEntries(count: Int, maximum: Int)
  /// Applying would remove more than `max_shrink_percent` of a family's addresses, counted in
  /// what origin-guard last applied (or, without a saved state of ours, in the kernel).
  case shrinksTooMuch(
    family: AddressFamily, removedPercent: Double, maximumPercent: Double,
    baseline: ShrinkBaseline)
  /// A merged prefix broader than `min_prefix_length_v4/v6`.
  case prefixTooBroad(prefix: AnyIPPrefix, minimumLength: Int, provenance: [Provenance])
  /// `0.0.0.0/0` or `::/0`: an allow-list that allows everyone.
  case allowsEverything(prefix: AnyIPPrefix, provenance: [Provenance])
  /// A table of the configured name exists, holds sets or chains origin-guard does not make,
  /// and no saved state of ours names it: replacing it would destroy someone else's table.
  case notOurTable(table: String, foreign: [String])

  /// `--force` overrides the size guards only; a list that is empty, too broad or allows
  /// everything is never applied.
  public var isOverridable: Bool {
    switch self {
    case .tooFewEntries, .tooManyEntries, .shrinksTooMuch: true
    case .emptyList, .prefixTooBroad, .allowsEverything, .notOurTable: false
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
    case .notOurTable: "not_our_table"
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
    case .shrinksTooMuch(let family, let removed, let maximum, .lastApplied):
      "applying would remove \(Self.percent(removed)) of the \(family) addresses origin-guard last applied, more than max_shrink_percent (\(Self.percent(maximum))); use --force if this is expected"
    case .shrinksTooMuch(let family, let removed, let maximum, .kernel):
      "applying would remove \(Self.percent(removed)) of the \(family) addresses in the kernel, more than max_shrink_percent (\(Self.percent(maximum))); origin-guard has no saved state of its own for this table in this boot, so it counts them all as ours; use --force if this is expected"
    case .prefixTooBroad(let prefix, let minimum, let provenance):
      "\(prefix) is broader than /\(minimum), too broad for a CDN node\(Self.from(provenance)); fix the source or lower min_prefix_length_\(prefix.family == .ipv4 ? "v4" : "v6")"
    case .allowsEverything(let prefix, let provenance):
      "\(prefix) allows every address\(Self.from(provenance)); an allow-list that allows everyone protects nothing"
    case .notOurTable(let table, let foreign):
      "table inet \(table) exists and holds \(foreign.joined(separator: ", ")), which origin-guard does not make, and no saved state of origin-guard names it: it is someone else's table, and installing ours would replace it; choose another `table:` name (or, if it really is a stale copy of ours, delete it: nft delete table inet \(table))"
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
