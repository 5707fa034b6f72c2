import AddressSet
import AddressSources
import Foundation

/// The removal grace period of one cycle (`retain_removed`).
struct GraceCycle: Sendable {
  /// What to record with this sync's state.
  var grace: RemovalGrace
  /// Each source's list with the prefixes it stopped listing recently (origin `.retained`):
  /// what the source still wants allowed, for the guards, the plan and provenance alike.
  var results: [SourceResult]
  /// Prefixes allowed only because of the grace period, for `plan` and `status`.
  var retained: [RetainedPrefix]
}

extension Reconciler {
  /// The sources' lists as allowed: what each fetched (or its last-known-good list), plus what
  /// it stopped listing less than its `retain_removed` ago. For `export`, which prints what
  /// a sync would apply.
  public func allowedSources(_ outcomes: [SourceOutcome]) throws(CycleError) -> CombinedSources {
    let header = try? store.loadHeader()
    return CombinedSources(try removalGrace(outcomes, header: header ?? nil).results)
  }

  /// Moves the grace state on by this cycle's fetch: prefixes a source no longer lists start
  /// their grace period now, those listed again leave it, those past it go.
  func removalGrace(_ outcomes: [SourceOutcome], header: StateHeader?) throws(CycleError)
    -> GraceCycle
  {
    let now = environment.now()
    let loaded = try loadGrace(header: header)
    var earlier = loaded.grace
    let recover = loaded.rebuild
    // Read only when needed: a sync with nothing retained and an intact record never reads the
    // applied list (100,000 prefixes cost more than the rest of a quiet cycle).
    let lastApplied =
      earlier.isEmpty && !recover ? nil : header.flatMap { try? store.loadApplied($0) }
    if let lastApplied, !earlier.isEmpty {
      let limited = earlier.limited(to: lastApplied)
      if limited != earlier {
        logger.warning(
          "\(store.gracePath) lists prefixes the last sync did not apply; they are not allowed (origin-guard writes only what it applied)"
        )
      }
      earlier = limited
    }
    let results = outcomes.compactMap(\.result)
    var previous: [String: DualStackSet] = [:]
    func previousList(_ name: String) -> DualStackSet? {
      if let known = previous[name] { return known }
      guard let record = header?.sources[name],
        let entries = try? store.loadEntries(record)
      else { return nil }
      let set = DualStackSet(prefixes: entries.map(\.prefix))
      previous[name] = set
      return set
    }
    if recover, let header, let lastApplied {
      earlier = recovered(earlier, lastApplied: lastApplied, header: header, now: now, previousList)
    }
    var grace: [String: [RetainedRemoval]] = [:]
    var allowed: [SourceResult] = []
    for result in results {
      let retain = retainRemoved(of: result.source)
      let kept = earlier.sources[result.source] ?? []
      // An unchanged list removed nothing: no need to read the saved one.
      let unchanged = header?.sources[result.source]?.contentChecksum == result.version.checksum
      guard retain > .zero, !unchanged || !kept.isEmpty else {
        allowed.append(result)
        continue
      }
      let listed = result.set
      let removals = RemovalGrace.advance(
        kept, previous: unchanged ? listed : previousList(result.source), listed: listed,
        retain: retain, now: now)
      grace[result.source] = removals
      allowed.append(result.adding(removals, retain: retain))
    }
    guard grace.values.contains(where: { !$0.isEmpty }) else {
      return GraceCycle(grace: RemovalGrace(), results: allowed, retained: [])
    }
    let listed = results.reduce(DualStackSet()) { $0.union($1.set) }
    var retained: [RetainedPrefix] = []
    for (source, removals) in grace.sorted(by: { $0.key < $1.key }) {
      let retain = retainRemoved(of: source)
      for removal in removals {
        retained += removal.set.subtracting(listed).prefixes.map {
          RetainedPrefix(
            prefix: $0, source: source, removedAt: removal.removedAt,
            until: removal.removedAt.addingTimeInterval(retain.timeInterval))
        }
      }
    }
    return GraceCycle(grace: RemovalGrace(sources: grace), results: allowed, retained: retained)
  }

  /// A configured source's `retain_removed`; zero for a source no longer configured.
  private func retainRemoved(of source: String) -> Duration {
    configuration.sources.first { $0.name == source }.map(configuration.retainRemoved(for:))
      ?? .zero
  }

  /// The recorded grace state, and whether it must be rebuilt: a damaged record, or none
  /// beside a saved header, would otherwise cut off at once what a source dropped recently.
  private func loadGrace(header: StateHeader?) throws(CycleError) -> (
    grace: RemovalGrace, rebuild: Bool
  ) {
    do {
      guard let grace = try store.loadGrace() else { return (RemovalGrace(), header != nil) }
      return (grace, false)
    } catch .unsafe(let problem) {
      throw .state(.unsafe(problem))
    } catch {
      logger.warning(
        "\(error); what the last sync applied and no source lists any more is kept for each source's retain_removed from now"
      )
      return (RemovalGrace(), header != nil)
    }
  }

  /// Without a usable record, whatever the last sync applied that none of its sources listed
  /// was retained: it starts a grace period now, under every source that retains removals.
  private func recovered(
    _ grace: RemovalGrace, lastApplied: DualStackSet, header: StateHeader, now: Date,
    _ previousList: (String) -> DualStackSet?
  ) -> RemovalGrace {
    var orphans = lastApplied
    for name in header.sources.keys {
      guard let list = previousList(name) else { return grace }  // unknown: nothing is provable
      orphans = orphans.subtracting(list)
    }
    guard !orphans.isEmpty else { return grace }
    var sources = grace.sources
    for source in configuration.sources
    where header.sources[source.name] != nil && configuration.retainRemoved(for: source) > .zero {
      sources[source.name, default: []].append(RetainedRemoval(set: orphans, removedAt: now))
    }
    return RemovalGrace(sources: sources)
  }

  /// The recorded grace state as source results (origin `.retained`), so that a prefix whose
  /// grace period ends is traced to the source that last listed it, and `check` explains a
  /// retained address.
  public func retainedResults(at date: Date) -> [SourceResult] {
    guard let grace = try? store.loadGrace() else { return [] }
    return grace.sources.sorted { $0.key < $1.key }.map { source, removals in
      let kind = configuration.sources.first { $0.name == source }?.kind ?? .static
      return SourceResult(
        source: source, kind: kind, entries: [], fetchedAt: date,
        version: SourceVersion(checksum: "")
      ).adding(removals, retain: retainRemoved(of: source))
    }
  }
}

extension SourceResult {
  /// This result with `removals` listed too, each prefix under origin `.retained`.
  func adding(_ removals: [RetainedRemoval], retain: Duration) -> SourceResult {
    guard !removals.isEmpty else { return self }
    let extra = removals.flatMap { removal in
      let origin = Origin.retained(
        removedAt: removal.removedAt,
        until: removal.removedAt.addingTimeInterval(retain.timeInterval))
      return removal.set.prefixes.map { SourceEntry(prefix: $0, origin: origin) }
    }
    return SourceResult(
      source: source, kind: kind, entries: entries + extra, skipped: skipped,
      fetchedAt: fetchedAt, version: version, unchanged: unchanged,
      pendingUpdates: pendingUpdates)
  }
}
