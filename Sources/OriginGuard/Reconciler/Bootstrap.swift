import Foundation
import Netfilter

#if canImport(Glibc)
  import Glibc
#endif

/// The first lock-down of an origin, with a way back: record how to undo it, apply, then wait
/// for a confirmation and restore exactly the earlier table (or its absence) and state if none
/// comes. An operator who locked themselves out gets their access back.
///
/// The record (`BootstrapFiles`) is written before the apply, so the rollback does not depend
/// on this process: a watchdog started before the apply, or any later run, performs it once
/// the deadline has passed.
public struct Bootstrap: Sendable {
  public enum Outcome: Sendable {
    case confirmed(CycleReport)
    case rolledBack(CycleReport, RollbackReason)
  }

  /// How the wait ended.
  public enum Answer: Sendable, Equatable {
    case confirmed
    case rollBack(RollbackReason)
  }

  public let reconciler: Reconciler

  public init(reconciler: Reconciler) {
    self.reconciler = reconciler
  }

  public var files: BootstrapFiles { BootstrapFiles(store: reconciler.store) }

  /// With the run lock held (and `BootstrapRollback.settle` having found nothing waiting).
  ///
  /// - Parameters:
  ///   - startWatchdog: called once the record is written, before the apply; a failure
  ///     aborts the bootstrap before it changes anything.
  ///   - wait: waits for the operator; called after the apply, only when something was
  ///     applied.
  public func run(
    force: Bool, timeout: Duration, now: Date = Date(),
    startWatchdog: (PendingRollback) throws(CycleError) -> Void,
    wait: (PendingRollback) async -> Answer
  ) async throws(CycleError) -> Outcome {
    let record = try makeRecord(timeout: timeout, now: now)
    let files = self.files
    do { try files.record(record) } catch { throw .state(error) }
    do {
      try startWatchdog(record)
    } catch {
      unlink(files.pendingPath)
      throw error
    }

    let report: CycleReport
    do {
      // The preview already named the sources of removed prefixes.
      report = try await reconciler.cycle(
        Reconciler.Options(apply: true, force: force, traceRemovals: false))
    } catch {
      // A failure after the commit (saving the state, verifying) must not keep the change.
      _ = try? await rollBack(record)
      throw error
    }
    guard report.applied else {
      // Nothing changed: nothing to confirm or undo.
      if (try? files.claimRollback()) != nil { files.finishRollback() }
      return .confirmed(report)
    }
    switch await wait(record) {
    case .confirmed:
      return .confirmed(report)
    case .rollBack(let reason):
      reconciler.environment.logger.warning("bootstrap was not confirmed (\(reason)): rolling back")
      guard try await rollBack(record) else { return .confirmed(report) }
      return .rolledBack(report, reason)
    }
  }

  /// Waits for the first of: a confirmation (`origin-guard confirm`, or `y` typed, which
  /// confirms the same way), `stop` returning a reason, the deadline.
  public func waitForAnswer(
    _ record: PendingRollback, stop: () -> RollbackReason?,
    pollInterval: Duration = .milliseconds(100)
  ) async -> Answer {
    let files = self.files
    while true {
      if let reason = stop() { return .rollBack(reason) }
      if access(files.pendingPath, F_OK) != 0 {
        return files.takeConfirmation(id: record.id) ? .confirmed : .rollBack(.recordRemoved)
      }
      if record.isDue(at: Date()) { return .rollBack(.timedOut) }
      try? await Task.sleep(for: pollInterval)
    }
  }

  /// Claims the record and restores; false when a confirmation won the race for it.
  private func rollBack(_ record: PendingRollback) async throws(CycleError) -> Bool {
    let files = self.files
    let claimed: PendingRollback?
    do { claimed = try files.claimRollback() } catch { throw .state(error) }
    if claimed == nil && files.takeConfirmation(id: record.id) { return false }
    // Without a record left (removed by hand), the one in memory says the same.
    _ = try await BootstrapRollback(reconciler: reconciler).restore(claimed ?? record)
    files.finishRollback()
    return true
  }

  private func makeRecord(timeout: Duration, now: Date) throws(CycleError) -> PendingRollback {
    let ruleset = reconciler.configuration.ruleset
    let store = reconciler.store
    let previous: TableState?
    do {
      previous = try reconciler.environment.backend.readTableRetrying(
        named: ruleset.tableName, withElements: true)
    } catch {
      throw .kernel(error)
    }
    let header: Data?
    do { header = try store.readTrusted(store.headerPath) } catch { throw .state(error) }
    let seconds =
      Double(timeout.components.seconds) + Double(timeout.components.attoseconds) * 1e-18
    return PendingRollback(
      appliedAt: now, deadline: now.addingTimeInterval(seconds), bootstrapPID: getpid(),
      kernelIdentity: reconciler.environment.kernelIdentity(), tableName: ruleset.tableName,
      previous: previous, previousHeader: header,
      previousLists: Self.listFiles(named: header, in: store))
  }

  /// The contents of the list files a saved header names, by file name: the cycle's save
  /// removes the ones it no longer needs.
  static func listFiles(named header: Data?, in store: StateStore) -> [String: Data] {
    guard let header, let decoded = try? StateStore.decoder.decode(StateHeader.self, from: header)
    else { return [:] }
    var lists: [String: Data] = [:]
    for file in [decoded.applied.file] + decoded.sources.values.map(\.list.file)
    where StateFileNames.isList(file) {
      lists[file] = try? store.readTrusted(store.listsDirectory + "/" + file)
    }
    return lists
  }
}
