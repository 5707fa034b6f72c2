import AddressSet
import AddressSources
import Foundation
import Logging
import Netfilter

/// One reconciliation cycle: fetch all sources → merge → guards → read the kernel → plan →
/// apply one batch → verify → save state. Nothing in the kernel changes unless every step
/// before the apply succeeded, and the apply itself is all or nothing.
public struct Reconciler: Sendable {
  public struct Options: Sendable {
    /// False for `plan`: stop after planning.
    public var apply: Bool
    /// Override the size guards (`min_entries`, `max_entries`, `max_shrink_percent`).
    public var force: Bool
    /// Use the last-known-good lists, fetch nothing (boot, before the network is up).
    public var fromCache: Bool
    /// Name the sources that listed each removed prefix. That means reading the last sync's
    /// source lists back from the state directory, worth it only when the plan is printed.
    public var traceRemovals: Bool

    public init(
      apply: Bool, force: Bool = false, fromCache: Bool = false, traceRemovals: Bool = true
    ) {
      self.apply = apply
      self.force = force
      self.fromCache = fromCache
      self.traceRemovals = traceRemovals
    }
  }

  /// How often a commit is retried when someone else changes the ruleset in between.
  public static let maxGenerationRetries = 5
  /// Above this many ranges the post-commit check compares structure only: reading a large
  /// interval set back costs more than the commit.
  static let verifyElementsLimit = 20_000

  public let configuration: Configuration
  public let environment: ReconcilerEnvironment
  public let store: StateStore

  public init(configuration: Configuration, environment: ReconcilerEnvironment) {
    self.configuration = configuration
    self.environment = environment
    self.store = StateStore(directory: configuration.stateDirectory)
  }

  var ruleset: GuardRuleset { configuration.ruleset }
  var backend: any NetfilterBackend { environment.backend }
  var logger: Logger { environment.logger }

  /// Takes the run lock (one run at a time).
  public func lock(wait: Bool) throws(CycleError) -> RunLock {
    do {
      try store.prepare()
      return try RunLock(path: store.lockPath, wait: wait)
    } catch {
      throw .state(error)
    }
  }

  public func cycle(_ options: Options) async throws(CycleError) -> CycleReport {
    let clock = ContinuousClock()
    let start = clock.now
    let header = try loadHeader()
    let outcomes = try await fetchSources(header: header, fromCache: options.fromCache)
    let grace = try removalGrace(outcomes, header: header)
    let combined = CombinedSources(grace.results)
    let guards = Guards(settings: configuration.guards)
    var listOverrides: [GuardRefusal] = []
    try enforce(guards.check(combined), force: options.force, plan: nil, overridden: &listOverrides)
    let desiredList = EncodedSet(combined.set)

    let identity = environment.kernelIdentity()
    let formerTables = formerTablesStillInstalled(header)
    var retries = 0
    var trustSavedState = true
    while true {
      var plan: Plan
      do {
        plan = try makePlan(
          combined, desiredList: desiredList, header: header, identity: identity,
          trustSavedState: trustSavedState, traceRemovals: options.traceRemovals)
      } catch .kernel(.generationChanged) {
        // Someone committed while we read the kernel: read again, as after a refused commit.
        try await prepareRetry(&retries, after: "reading it")
        continue
      }
      plan.formerTables = formerTables
      plan.retained = grace.retained
      let notOurs = ownership(plan, header: header)
      if !notOurs.isEmpty { throw .refused(notOurs, plan: plan) }
      // The shrink check belongs to this plan: a retry replaces it rather than adding to it.
      var overridden = listOverrides
      let baseline = plan.shrinkBaseline
      try enforce(
        guards.checkShrink(current: baseline.set, desired: plan.desired, baseline: baseline.kind),
        force: options.force, plan: plan, overridden: &overridden)
      func report(applied: Bool, generation: UInt32) -> CycleReport {
        CycleReport(
          plan: plan, outcomes: outcomes, allowedResults: grace.results, applied: applied,
          generation: generation,
          duration: clock.now - start, overriddenRefusals: overridden, generationRetries: retries)
      }
      guard options.apply else { return report(applied: false, generation: plan.generation) }
      // A daemon shutting down abandons the cycle here, before the commit, never during it.
      if Task.isCancelled { throw .cancelled }
      let generation: UInt32
      do throws(NetfilterError) {
        generation = try applyPlanned(plan)
      } catch .generationChanged {
        try await prepareRetry(&retries, after: "planning")
        continue
      } catch let error
        where error.isElementMismatch && plan.basis == .savedState && trustSavedState
      {
        // The saved state did not match the kernel after all: read the kernel instead.
        logger.warning("the saved state does not match the kernel (\(error)); reading the kernel")
        trustSavedState = false
        continue
      } catch {
        throw .kernel(error)
      }
      do throws(CycleError) {
        try verify(plan)
      } catch .verificationFailed(let detail) where plan.basis == .savedState && trustSavedState {
        // The batch went through, but it was planned on a saved state that did not match the
        // kernel: plan again from what the kernel holds now rather than stop half-way.
        logger.warning(
          "the commit planned on the saved state (added \(plan.added.count), removed \(plan.removed.count) prefixes) left the kernel different from the list (\(detail)); the saved state did not match the kernel: reading the kernel and committing again"
        )
        trustSavedState = false
        continue
      }
      try saveState(
        desiredList, outcomes: outcomes, grace: grace.grace, generation: generation,
        identity: identity, formerTables: formerTables, applied: plan.isInSync ? nil : plan)
      var applied = report(applied: !plan.isInSync, generation: generation)
      // Only what someone else changed is drift; a changed configuration or source is not.
      applied.repairedDrift = !plan.isInSync && !plan.foreign.isEmpty
      applied.confirmations = await confirmPendingUpdates(outcomes, holding: plan.desired)
      return applied
    }
  }

  /// Installing replaces the table whole, so an existing table must be provably ours: named by
  /// our saved state, or holding nothing but what origin-guard makes (then it is our table,
  /// drifted, or with its state lost). Sets and chains we never make, in a table no state of
  /// ours names, are someone else's: `table:` names their table.
  private func ownership(_ plan: Plan, header: StateHeader?) -> [GuardRefusal] {
    guard plan.tableExists, header?.table != ruleset.tableName else { return [] }
    let foreign = plan.drifts.compactMap { drift -> String? in
      switch drift {
      case .unexpectedSet(let name): "set \(name)"
      case .unexpectedChain(let name): "chain \(name)"
      default: nil
      }
    }
    return foreign.isEmpty ? [] : [.notOurTable(table: ruleset.tableName, foreign: foreign)]
  }

  /// Former tables still in the kernel, each warned about.
  private func formerTablesStillInstalled(_ header: StateHeader?) -> [String] {
    let installed = FormerTable.stillInstalled(
      header: header, current: ruleset.tableName, backend: backend)
    for name in installed {
      logger.warning("\(FormerTable.warning(name, current: ruleset.tableName))")
    }
    return installed
  }

  /// Counts a generation conflict and gives up after `maxGenerationRetries` retries. Otherwise
  /// another program is committing: let it finish a burst before reading again (immediate
  /// retries meet the same burst). 50–100 ms, doubling: at most 1.5 s over all retries.
  func prepareRetry(_ retries: inout Int, after step: String) async throws(CycleError) {
    retries += 1
    logger.notice(
      "the ruleset changed while \(step); re-reading", metadata: ["attempt": "\(retries)"])
    if retries > Self.maxGenerationRetries { throw .generationKeptChanging(attempts: retries) }
    let base = 50 << (retries - 1)
    do {
      try await Task.sleep(for: .milliseconds(Int.random(in: base...(2 * base))))
    } catch {
      throw .cancelled
    }
  }

  /// Fetches every source (or reads the last-known-good lists), as a cycle does, without
  /// touching the kernel: for `export`.
  public func fetchSources(fromCache: Bool) async throws(CycleError) -> [SourceOutcome] {
    try await fetchSources(header: loadHeader(), fromCache: fromCache)
  }

  /// - Parameter header: read once per cycle, so a damaged one is reported once.
  private func fetchSources(header: StateHeader?, fromCache: Bool) async throws(CycleError)
    -> [SourceOutcome]
  {
    let outcomes = try await fetchAll(header: header, fromCache: fromCache)
    // A shutdown during the fetch is not the sources' failure (nor a timeout).
    if Task.isCancelled { throw .cancelled }
    if outcomes.contains(where: { if case .failed = $0 { true } else { false } }) {
      throw .sourcesFailed(outcomes)
    }
    return outcomes
  }

  // MARK: - Steps

  /// The saved header; nil, with a warning, when it is corrupt or unreadable. A state
  /// directory someone else could have written stops the cycle.
  func loadHeader() throws(CycleError) -> StateHeader? {
    do {
      return try store.loadHeader()
    } catch .unsafe(let problem) {
      throw .state(.unsafe(problem))
    } catch {
      logger.warning("\(error)")
      return nil
    }
  }

  /// Fetches every source at once; a failed source falls back to its last-known-good list
  /// when that is younger than `max_stale`.
  private func fetchAll(header: StateHeader?, fromCache: Bool) async throws(CycleError)
    -> [SourceOutcome]
  {
    let now = environment.now()
    let cached: @Sendable (String) -> (SourceSnapshot, Duration)? = {
      [store, logger = self.logger] name in
      guard let record = header?.sources[name],
        let entries = Self.savedEntries(record, store: store, logger: logger)
      else {
        return nil
      }
      let snapshot = SourceSnapshot(name: name, record: record, entries: entries)
      return (snapshot, .seconds(max(0, now.timeIntervalSince(record.fetchedAt))))
    }
    if fromCache {
      var outcomes: [SourceOutcome] = []
      for config in configuration.sources {
        guard let (snapshot, age) = cached(config.name) else { throw .noCache(source: config.name) }
        outcomes.append(.cached(snapshot, age: age, error: nil))
      }
      return outcomes
    }
    let sources = configuration.sources.map {
      environment.makeSource($0, environment.sourceContext)
    }
    let maxStale = configuration.maxStale
    return await withTaskGroup(of: (Int, SourceOutcome).self) { group in
      for (index, source) in sources.enumerated() {
        group.addTask {
          do throws(SourceError) {
            var result = try await source.fetch()
            // An update still pending dates from when an earlier sync first saw it.
            let earlier = header?.sources[source.name]?.pendingUpdates ?? []
            result.pendingUpdates = result.pendingUpdates.map { $0.continuing(earlier) }
            return (index, .fresh(result))
          } catch {
            guard let (snapshot, age) = cached(source.name) else {
              return (index, .failed(error, cacheAge: nil))
            }
            guard age <= maxStale else { return (index, .failed(error, cacheAge: age)) }
            logger.warning(
              "using the last-known-good list of source \(source.name) (\(DurationText.describe(age)) old): \(error)"
            )
            return (index, .cached(snapshot, age: age, error: error))
          }
        }
      }
      var outcomes = [SourceOutcome?](repeating: nil, count: sources.count)
      for await (index, outcome) in group { outcomes[index] = outcome }
      return outcomes.compactMap { $0 }
    }
  }

  private func enforce(
    _ refusals: [GuardRefusal], force: Bool, plan: Plan?, overridden: inout [GuardRefusal]
  ) throws(CycleError) {
    guard !refusals.isEmpty else { return }
    if force && refusals.allSatisfy(\.isOverridable) {
      logger.warning(
        "--force: applying despite \(MessageLimit.list(refusals.map(\.description)))")
      overridden += refusals
      return
    }
    throw .refused(refusals, plan: plan)
  }

  /// Plans against the saved state while the generation shows nobody touched the ruleset
  /// since our last commit, and against a fresh read of the kernel otherwise.
  private func makePlan(
    _ combined: CombinedSources, desiredList: EncodedSet, header: StateHeader?, identity: String,
    trustSavedState: Bool, traceRemovals: Bool
  ) throws(CycleError) -> Plan {
    let previous = traceRemovals ? header : nil
    let planner = Planner(ruleset: ruleset)
    do {
      let generation = try backend.generation()
      let belongs = header?.belongs(toTable: ruleset.tableName, identity: identity) ?? false
      if trustSavedState, let header, belongs,
        header.generation == generation || untouchedSince(header.generation, through: generation),
        let structure = try backend.readTableRetrying(
          named: ruleset.tableName, withElements: false),
        structure.generation == generation,
        ruleset.table.drifts(from: structure.table).isEmpty
      {
        let applied: DualStackSet
        if header.applied.checksum == desiredList.checksum {
          applied = combined.set  // nothing changed: no need to read the saved list
        } else if let saved = savedApplied(header) {
          applied = saved
        } else {
          return try plan(
            fromKernel: planner, combined, previous: previous, lastSync: nil)
        }
        return planner.plan(
          desired: combined, savedApplied: applied, generation: generation,
          previous: applied == combined.set ? nil : previousSources(previous),
          lastSync: LastSync(header, applied: applied))
      }
      // The kernel is read because someone else committed (or our table is not as we left
      // it): what we last applied says which of its contents are ours.
      let lastSync =
        belongs ? header.flatMap { h in savedApplied(h).map { LastSync(h, applied: $0) } } : nil
      return try plan(fromKernel: planner, combined, previous: previous, lastSync: lastSync)
    } catch {
      throw .kernel(error)
    }
  }

  /// - Parameter previous: the header whose source lists name removed prefixes' sources.
  func plan(
    fromKernel planner: Planner, _ combined: CombinedSources, previous header: StateHeader?,
    lastSync: LastSync?
  ) throws(NetfilterError) -> Plan {
    // Read the generation before and after: a table read while someone commits may mix states.
    for _ in 0..<Self.maxGenerationRetries {
      let generation = try backend.generation()
      let state = try backend.readTableRetrying(named: ruleset.tableName, withElements: true)
      let after = try backend.generation()
      guard after == generation || untouchedSince(generation, through: after) else { continue }
      return planner.plan(
        desired: combined, state: state, generation: generation, previous: previousSources(header),
        lastSync: lastSync)
    }
    throw .generationChanged(expected: nil)
  }

  private func previousSources(_ header: StateHeader?) -> CombinedSources? {
    guard let header else { return nil }
    let results = header.sources.compactMap { name, record -> SourceResult? in
      guard let entries = Self.savedEntries(record, store: store, logger: logger) else {
        return nil
      }
      return SourceSnapshot(name: name, record: record, entries: entries).asResult
    }
    return CombinedSources(results + retainedResults(at: header.savedAt))
  }

  /// A source's saved list; nil, with a warning, when it is damaged or missing.
  private static func savedEntries(
    _ record: StateHeader.SourceRecord, store: StateStore, logger: Logger
  ) -> [SourceEntry]? {
    do {
      return try store.loadEntries(record)
    } catch {
      logger.warning("\(error)")
      return nil
    }
  }

  /// The saved applied list; nil, with a warning, when it is damaged or missing.
  func savedApplied(_ header: StateHeader) -> DualStackSet? {
    do {
      return try store.loadApplied(header)
    } catch {
      logger.warning("\(error)")
      return nil
    }
  }

  /// Reads the table back after the commit: the structure always, the elements while the
  /// sets are small enough to read quickly.
  func verify(_ plan: Plan) throws(CycleError) {
    guard !plan.isInSync else { return }
    let rangeCount = plan.desired.v4.ranges.count + plan.desired.v6.ranges.count
    let state: TableState?
    do throws(NetfilterError) {
      state = try backend.readTableRetrying(
        named: ruleset.tableName, withElements: rangeCount <= Self.verifyElementsLimit)
    } catch .generationChanged {
      // The kernel acknowledged the batch; others keep committing, so no consistent read-back
      // is possible now. Failing here would leave the applied list unrecorded.
      logger.warning("applied, but the ruleset kept changing while reading it back to verify")
      return
    } catch {
      throw .kernel(error)
    }
    switch ruleset.compare(state, desired: plan.desired) {
    case .inSync: return
    case .elementsDiffer(let v4, let v6):
      throw .verificationFailed(
        "the sets hold \(v4.remove.count + v6.remove.count) ranges too many and miss \(v4.add.count + v6.add.count)"
      )
    case .structureDrifted(let drifts):
      throw .verificationFailed(drifts.map(\.description).joined(separator: "; "))
    }
  }

  /// - Parameter plan: the plan just committed; nil when the kernel was already in sync.
  private func saveState(
    _ applied: EncodedSet, outcomes: [SourceOutcome], grace: RemovalGrace, generation: UInt32,
    identity: String, formerTables: [String], applied plan: Plan?
  ) throws(CycleError) {
    let snapshots = outcomes.compactMap { outcome -> SourceSnapshot? in
      switch outcome {
      case .fresh(let result): SourceSnapshot(result)
      case .cached(let snapshot, _, _): snapshot
      case .failed: nil
      }
    }
    do {
      // Before the header: a crash in between leaves removals recorded early, not forgotten.
      try store.saveGrace(grace)
      try store.save(
        applied: applied, sources: snapshots, table: ruleset.tableName, generation: generation,
        bootID: identity, at: environment.now(), ruleset: RulesetRecord(ruleset),
        formerTables: formerTables)
    } catch {
      guard let plan else { throw .state(error) }
      // The commit went through: say so, and leave a mark for `status`.
      store.markUnsaved(checksum: applied.checksum)
      throw .appliedButNotSaved(
        error, directory: store.directory, added: plan.added.count, removed: plan.removed.count)
    }
  }
}

extension NetfilterError {
  /// The set did not hold what the transaction assumed.
  var isElementMismatch: Bool {
    switch self {
    case .elementExists, .elementMissing: true
    default: false
    }
  }
}
