import AddressSet
import AddressSources
import Netfilter

/// What a sync would do, and why: the prefixes it adds and removes with the sources that
/// list them, the structure it repairs, and the one transaction that does all of it.
public struct Plan: Sendable {
  /// How the kernel's contents were learned.
  public enum Basis: String, Sendable {
    /// Read from the kernel.
    case kernel
    /// Taken from the state saved by the last sync: the ruleset generation has not moved
    /// since, so the kernel still holds exactly that.
    case savedState = "saved-state"
  }

  public var generation: UInt32
  public var basis: Basis
  public var desired: DualStackSet
  /// What the kernel holds now (empty when our table is missing).
  public var current: DualStackSet
  public var tableExists: Bool
  /// Structure that differs from the intended one; repaired in the same batch.
  public var drifts: [Drift]
  /// Address-level changes as minimal prefix lists: what starts and stops being allowed.
  public var added: [AnyIPPrefix]
  public var removed: [AnyIPPrefix]
  public var transaction: Transaction
  /// Where the added prefixes come from (the index covers those only).
  public var sources: ProvenanceIndex
  /// Where the previously applied prefixes came from, when the last sync's lists are known.
  public var previousSources: ProvenanceIndex?

  /// The sources that list an added prefix, or listed a removed one.
  public func provenance(of prefix: AnyIPPrefix, removed: Bool = false) -> [Provenance] {
    removed ? previousSources?.contributors(prefix) ?? [] : sources.contributors(prefix)
  }

  public var isInSync: Bool { transaction.isEmpty }

  /// Prefixes of the desired list the plan leaves in place. Stored, not computed: the
  /// summary line reads it several times, and intersecting 100,000 prefixes is not free.
  public var unchangedCount: Int
}
