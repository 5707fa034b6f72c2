import AddressSet
import Netfilter

/// What someone else changed in our table since our last sync: drift, which the plan
/// repairs. Only this counts in `origin_guard_drift_repairs_total`; what our configuration
/// changed is a `ConfigurationChange`, what the sources changed a `SourceChanges`.
public struct ForeignChanges: Sendable, Equatable {
  /// How the structure differs from what origin-guard installed; `.tableMissing` when
  /// someone deleted the table.
  public var structure: [Drift] = []
  /// Addresses in our sets that origin-guard never applied (an `nft add element`).
  public var unappliedAddresses = DualStackSet()
  /// Addresses origin-guard applied that someone removed.
  public var removedAddresses = DualStackSet()

  public init(
    structure: [Drift] = [], unappliedAddresses: DualStackSet = DualStackSet(),
    removedAddresses: DualStackSet = DualStackSet()
  ) {
    self.structure = structure
    self.unappliedAddresses = unappliedAddresses
    self.removedAddresses = removedAddresses
  }

  public var isEmpty: Bool {
    structure.isEmpty && unappliedAddresses.isEmpty && removedAddresses.isEmpty
  }

  public var tableDeleted: Bool {
    structure.contains { if case .tableMissing = $0 { true } else { false } }
  }
}
