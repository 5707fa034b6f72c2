import Foundation
import Netfilter

/// Why an applied bootstrap is being undone.
public enum RollbackReason: Sendable, Equatable, CustomStringConvertible {
  /// The confirmation did not come in time.
  case timedOut
  /// `n` was typed at the prompt.
  case declined
  /// The bootstrap was told to stop while waiting (SIGINT, SIGHUP, SIGTERM).
  case signal(String)
  /// The apply failed after the record was written; the kernel may hold part of it.
  case applyFailed
  /// The waiting record vanished without a confirmation.
  case recordRemoved
  /// A watchdog or a later run found the deadline passed with nobody left to roll back.
  case overdue
  /// A rollback was killed half-way; a later run finished it.
  case interrupted

  public var description: String {
    switch self {
    case .timedOut: "no confirmation came in time"
    case .declined: "the operator answered no"
    case .signal(let name):
      "bootstrap was interrupted by \(name) while waiting for the confirmation"
    case .applyFailed: "the apply failed"
    case .recordRemoved: "the rollback record disappeared without a confirmation"
    case .overdue:
      "the confirmation deadline passed and the bootstrap was no longer there to roll back"
    case .interrupted: "an earlier rollback was stopped half-way"
    }
  }
}

/// Restores what a bootstrap's rollback record holds: the table in place (one batch guarded by
/// the generation), then `state.json` and its lists. Call it with the run lock held, after
/// claiming the record (`BootstrapFiles.claimRollback`), so that nothing else rolls back or
/// syncs meanwhile.
public struct BootstrapRollback: Sendable {
  public let reconciler: Reconciler

  public init(reconciler: Reconciler) {
    self.reconciler = reconciler
  }

  public var files: BootstrapFiles { BootstrapFiles(store: reconciler.store) }

  /// What a run found in the bootstrap directory, with the lock held.
  public enum Settlement: Sendable {
    case nothing
    /// A bootstrap waits for its confirmation until `deadline`.
    case waiting(PendingRollback)
    case rolledBack(PendingRollback, RollbackReason, changes: Int)
  }

  /// Finishes a rollback killed half-way, performs an overdue one, or reports a bootstrap
  /// still waiting. Every run that takes the lock calls it first.
  public func settle(now: Date = Date()) async throws(CycleError) -> Settlement {
    let files = self.files
    let interrupted: PendingRollback?
    do { interrupted = try files.load(files.rollingBackPath) } catch { throw .state(error) }
    if let interrupted {
      let changes = try await restore(interrupted)
      files.finishRollback()
      return .rolledBack(interrupted, .interrupted, changes: changes)
    }
    let waiting: PendingRollback?
    do { waiting = try files.pending() } catch { throw .state(error) }
    guard let waiting else {
      files.removeStaleConfirmation()
      return .nothing
    }
    let identity = reconciler.environment.kernelIdentity()
    if waiting.owner(kernel: identity) == .otherNamespace { return .nothing }
    guard waiting.mustRollBack(at: now, kernel: identity) else { return .waiting(waiting) }
    let claimed: PendingRollback?
    do { claimed = try files.claimRollback() } catch { throw .state(error) }
    guard let claimed else { return .nothing }
    let changes = try await restore(claimed)
    files.finishRollback()
    return .rolledBack(claimed, .overdue, changes: changes)
  }

  /// Puts the kernel and the state directory back as the record says; returns how many
  /// changes the kernel batch made. Safe to repeat: a table already restored gives an empty
  /// batch.
  public func restore(_ record: PendingRollback) async throws(CycleError) -> Int {
    let changes = try await restoreTable(record)
    do {
      try restoreState(record)
    } catch {
      throw .state(error)
    }
    return changes
  }

  private func restoreTable(_ record: PendingRollback) async throws(CycleError) -> Int {
    let backend = reconciler.environment.backend
    let previous: TableState?
    do { previous = try record.previousState() } catch { throw .state(error) }
    var retries = 0
    while true {
      let transaction: Transaction
      let generation: UInt32
      do throws(NetfilterError) {
        let before = try backend.generation()
        let current = try backend.readTableRetrying(named: record.tableName, withElements: true)
        generation = current?.generation ?? before
        transaction = Transaction.restoring(previous, over: current, table: record.tableName)
        try backend.apply(transaction, expectedGeneration: generation)
      } catch .generationChanged {
        try await reconciler.prepareRetry(&retries, after: "rolling back the bootstrap")
        continue
      } catch {
        throw .kernel(error)
      }
      let changes = transaction.orderedDescriptions.count
      if changes > 0 {
        reconciler.environment.logger.notice(
          "rollback: restored table inet \(record.tableName) with \(changes) change(s) in one batch"
        )
      }
      return changes
    }
  }

  /// The header and the lists it names as they were, or no header when there was none.
  private func restoreState(_ record: PendingRollback) throws(StateError) {
    let store = reconciler.store
    guard let header = record.previousHeader else {
      if unlink(store.headerPath) != 0 && errno != ENOENT {
        throw .io(operation: "remove \(store.headerPath)", errno: errno)
      }
      return
    }
    try store.prepare()
    for (file, data) in record.previousLists.sorted(by: { $0.key < $1.key }) {
      // Only list names the state store writes (`<sha256>.txt`), never a path elsewhere.
      guard !file.contains("/"), file.hasSuffix(".txt"), !file.hasPrefix(".") else {
        throw .corrupt(path: files.rollingBackPath, reason: "list file name \(file)")
      }
      try AtomicFile.write(data, to: store.listsDirectory + "/" + file)
    }
    try AtomicFile.write(header, to: store.headerPath)
  }
}
