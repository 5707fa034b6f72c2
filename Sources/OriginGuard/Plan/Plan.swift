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

  /// What origin-guard itself last applied in this kernel; nil when no saved state belongs
  /// to it (a first sync, another boot, another table name).
  public var lastApplied: DualStackSet?
  /// What someone else changed since our last sync; this plan puts it back.
  public var foreign = ForeignChanges()
  /// What our configuration changed in the structure since our last sync.
  public var configurationChange: ConfigurationChange?
  /// What the sources changed, as this plan applies it.
  public var sourceChanges = SourceChanges()
  /// Tables earlier syncs installed under a former `table:` name that are still in the
  /// kernel, filtering with a list nobody updates. Never touched: the operator removes them.
  public var formerTables: [String] = []
  /// Prefixes no source lists any more that stay allowed for their source's `retain_removed`.
  public var retained: [RetainedPrefix] = []

  /// Foreign addresses this plan removes: in the kernel, never applied, listed by no source.
  public var removedUnapplied: [AnyIPPrefix] {
    foreign.unappliedAddresses.subtracting(desired).prefixes
  }

  /// Addresses of ours someone removed that this plan puts back.
  public var restored: [AnyIPPrefix] {
    foreign.removedAddresses.intersection(desired).prefixes
  }

  /// What the shrink guard measures a removal against: what origin-guard itself last applied
  /// here, so that addresses someone else added are repaired rather than defended; the
  /// kernel's contents when no saved state of ours says what that was (they are most likely
  /// ours from a lost state, and a refusal costs a `--force`, a wrong list an outage).
  public var shrinkBaseline: (set: DualStackSet, kind: ShrinkBaseline) {
    lastApplied.map { ($0, .lastApplied) } ?? (current, .kernel)
  }
}

/// The list a removal is measured against by `max_shrink_percent`.
public enum ShrinkBaseline: String, Sendable, Hashable {
  case lastApplied = "last_applied"
  case kernel
}
