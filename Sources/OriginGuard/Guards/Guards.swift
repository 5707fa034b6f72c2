import AddressSet
import AddressSources

/// The checks between "fetched" and "applied". Each returns every refusal, not only the first,
/// so an operator sees the whole picture in one run.
public struct Guards: Sendable {
  public let settings: GuardSettings

  public init(settings: GuardSettings) {
    self.settings = settings
  }

  /// Checks the merged list on its own, before the kernel is read.
  public func check(_ combined: CombinedSources) -> [GuardRefusal] {
    let desired = combined.set
    if desired.isEmpty { return [.emptyList] }
    var refusals: [GuardRefusal] = []
    var count = 0
    var tooBroad: [(prefix: AnyIPPrefix, minimum: Int)] = []
    // Prefix by prefix without building the list: it runs to 100,000 entries.
    func check(_ prefix: AnyIPPrefix) {
      count += 1
      let minimum = prefix.family == .ipv4 ? settings.minPrefixLengthV4 : settings.minPrefixLengthV6
      if prefix.length == 0 || prefix.length < minimum { tooBroad.append((prefix, minimum)) }
    }
    for range in desired.v4.ranges { range.forEachPrefix { check(.v4($0)) } }
    for range in desired.v6.ranges { range.forEachPrefix { check(.v6($0)) } }
    if !tooBroad.isEmpty {
      // One index for every broad prefix: searching all entries for each one was quadratic
      // when a hostile list merges into tens of thousands of broad prefixes.
      let index = ProvenanceIndex(
        combined, covering: DualStackSet(prefixes: tooBroad.map(\.prefix)))
      for (prefix, minimum) in tooBroad {
        let provenance = index.contributors(prefix)
        refusals.append(
          prefix.length == 0
            ? .allowsEverything(prefix: prefix, provenance: provenance)
            : .prefixTooBroad(prefix: prefix, minimumLength: minimum, provenance: provenance))
      }
    }
    if count < settings.minEntries {
      refusals.append(.tooFewEntries(count: count, minimum: settings.minEntries))
    }
    if count > settings.maxEntries {
      refusals.append(.tooManyEntries(count: count, maximum: settings.maxEntries))
    }
    return refusals
  }

  /// Checks how much of `current` (what origin-guard last applied, or the kernel's contents
  /// when that is unknown: `baseline` says which) the change would remove, per family.
  public func checkShrink(
    current: DualStackSet, desired: DualStackSet, baseline: ShrinkBaseline = .kernel
  ) -> [GuardRefusal] {
    var refusals: [GuardRefusal] = []
    func check<A: IPAddress>(_ current: IntervalSet<A>, _ desired: IntervalSet<A>) {
      let before = current.addressCount.approximateValue
      guard before > 0 else { return }
      let removed = current.subtracting(desired).addressCount.approximateValue
      let percent = removed / before * 100
      if percent > settings.maxShrinkPercent {
        refusals.append(
          .shrinksTooMuch(
            family: A.family, removedPercent: percent, maximumPercent: settings.maxShrinkPercent,
            baseline: baseline))
      }
    }
    check(current.v4, desired.v4)
    check(current.v6, desired.v6)
    return refusals
  }
}
