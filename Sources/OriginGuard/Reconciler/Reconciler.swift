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
    let header = loadHeader()
    let outcomes = try await fetchSources(fromCache: options.fromCache)
    let combined = CombinedSources(outcomes.compactMap(\.result))
    let guards = Guards(settings: configuration.guards)
    var listOverrides: [GuardRefusal] = []
    try enforce(guards.check(combined), force: options.force, plan: nil, overridden: &listOverrides)
    let desiredList = EncodedSet(combined.set)

    let identity = environment.kernelIdentity()
    var retries = 0
    var trustSavedState = true
    while true {
      let plan: Plan
      do {
        plan = try makePlan(
          combined, desiredList: desiredList, header: header, identity: identity,
          trustSavedState: trustSavedState, traceRemovals: options.traceRemovals)
      } catch .kernel(.generationChanged) {
        // Someone committed while we read the kernel: read again, as after a refused commit.
        try await prepareRetry(&retries, after: "reading it")
        continue
      }
      // The shrink check belongs to this plan: a retry replaces it rather than adding to it.
      var overridden = listOverrides
      try enforce(
        guards.checkShrink(current: plan.current, desired: plan.desired), force: options.force,
        plan: plan,
        overridden: &overridden)
      func report(applied: Bool, generation: UInt32) -> CycleReport {
        CycleReport(
          plan: plan, outcomes: outcomes, applied: applied, generation: generation,
          duration: clock.now - start, overriddenRefusals: overridden, generationRetries: retries)
      }
      guard options.apply else { return report(applied: false, generation: plan.generation) }
      // A daemon shutting down abandons the cycle here, before the commit, never during it.
      if Task.isCancelled { throw .cancelled }
      let generation: UInt32
      do throws(NetfilterError) {
        generation = try backend.apply(plan.transaction, expectedGeneration: plan.generation)
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
        desiredList, outcomes: outcomes, generation: generation, identity: identity)
      var applied = report(applied: !plan.isInSync, generation: generation)
      applied.repairedDrift = repairsDrift(plan, header: header, identity: identity)
      return applied
    }
  }

  /// Whether the plan puts back what someone else changed in our table since our last sync in
  /// this boot and network namespace: its structure, the table itself (deleted, or flushed
  /// with the ruleset), or the sets' elements. Creating the table the first time is not.
  private func repairsDrift(_ plan: Plan, header: StateHeader?, identity: String) -> Bool {
    guard !plan.isInSync else { return false }
    let installedByUs =
      header.map { $0.bootID == identity && $0.table == ruleset.tableName } ?? false
    if !plan.drifts.isEmpty { return plan.tableExists || installedByUs }
    guard installedByUs, plan.basis == .kernel, let header,
      let applied = try? store.loadApplied(header)
    else { return false }
    return plan.current != applied
  }

  /// Counts a generation conflict and gives up after `maxGenerationRetries` retries. Otherwise
  /// another program is committing: let it finish a burst before reading again (immediate
  /// retries meet the same burst). 50–100 ms, doubling: at most 1.5 s over all retries.
  private func prepareRetry(_ retries: inout Int, after step: String) async throws(CycleError) {
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
    let outcomes = try await fetchAll(header: loadHeader(), fromCache: fromCache)
    // A shutdown during the fetch is not the sources' failure (nor a timeout).
    if Task.isCancelled { throw .cancelled }
    if outcomes.contains(where: { if case .failed = $0 { true } else { false } }) {
      throw .sourcesFailed(outcomes)
    }
    return outcomes
  }

  // MARK: - Steps

  private func loadHeader() -> StateHeader? {
    do {
      return try store.loadHeader()
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
      let snapshot = SourceSnapshot(
        name: name, kind: record.kind, fetchedAt: record.fetchedAt, version: record.version,
        contentChecksum: record.contentChecksum, entries: entries)
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
            return (index, .fresh(try await source.fetch()))
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
      if trustSavedState, let header, header.table == ruleset.tableName, header.bootID == identity,
        header.generation == generation,
        let structure = try backend.readTable(named: ruleset.tableName, withElements: false),
        structure.generation == generation,
        ruleset.table.drifts(from: structure.table).isEmpty
      {
        let applied: DualStackSet
        if header.applied.checksum == desiredList.checksum {
          applied = combined.set  // nothing changed: no need to read the saved list
        } else if let saved = savedApplied(header) {
          applied = saved
        } else {
          return try plan(fromKernel: planner, combined, previous: previous)
        }
        return planner.plan(
          desired: combined, savedApplied: applied, generation: generation,
          previous: applied == combined.set ? nil : previousSources(previous))
      }
      return try plan(fromKernel: planner, combined, previous: previous)
    } catch {
      throw .kernel(error)
    }
  }

  /// - Parameter previous: the header whose source lists name removed prefixes' sources.
  private func plan(
    fromKernel planner: Planner, _ combined: CombinedSources, previous header: StateHeader?
  ) throws(NetfilterError) -> Plan {
    // Read the generation before and after: a table read while someone commits may mix states.
    for _ in 0..<Self.maxGenerationRetries {
      let generation = try backend.generation()
      let state = try backend.readTable(named: ruleset.tableName, withElements: true)
      guard try backend.generation() == generation else { continue }
      return planner.plan(
        desired: combined, state: state, generation: generation, previous: previousSources(header))
    }
    throw .generationChanged(expected: nil)
  }

  private func previousSources(_ header: StateHeader?) -> CombinedSources? {
    guard let header else { return nil }
    let results = header.sources.compactMap { name, record -> SourceResult? in
      guard let entries = Self.savedEntries(record, store: store, logger: logger) else {
        return nil
      }
      return SourceSnapshot(
        name: name, kind: record.kind, fetchedAt: record.fetchedAt, version: record.version,
        contentChecksum: record.contentChecksum, entries: entries
      ).asResult
    }
    return CombinedSources(results)
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
  private func savedApplied(_ header: StateHeader) -> DualStackSet? {
    do {
      return try store.loadApplied(header)
    } catch {
      logger.warning("\(error)")
      return nil
    }
  }

  /// Reads the table back after the commit: the structure always, the elements while the
  /// sets are small enough to read quickly.
  private func verify(_ plan: Plan) throws(CycleError) {
    guard !plan.isInSync else { return }
    let rangeCount = plan.desired.v4.ranges.count + plan.desired.v6.ranges.count
    var readBack: TableState??
    for _ in 0..<Self.maxGenerationRetries where readBack == nil {
      do throws(NetfilterError) {
        readBack = .some(
          try backend.readTable(
            named: ruleset.tableName, withElements: rangeCount <= Self.verifyElementsLimit))
      } catch .generationChanged {
        continue
      } catch {
        throw .kernel(error)
      }
    }
    guard let state = readBack else {
      // The kernel acknowledged the batch; others keep committing, so no consistent read-back
      // is possible now. Failing here would leave the applied list unrecorded.
      logger.warning("applied, but the ruleset kept changing while reading it back to verify")
      return
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

  private func saveState(
    _ applied: EncodedSet, outcomes: [SourceOutcome], generation: UInt32, identity: String
  ) throws(CycleError) {
    let snapshots = outcomes.compactMap { outcome -> SourceSnapshot? in
      switch outcome {
      case .fresh(let result): SourceSnapshot(result)
      case .cached(let snapshot, _, _): snapshot
      case .failed: nil
      }
    }
    do {
      try store.save(
        applied: applied, sources: snapshots, table: ruleset.tableName, generation: generation,
        bootID: identity, at: environment.now())
    } catch {
      throw .state(error)
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
