import ArgumentParser
import Foundation
import OriginGuard

#if canImport(Glibc)
  import Glibc
#endif

extension CommandContext {
  /// Any run that finds a bootstrap rollback overdue (its deadline passed and neither the
  /// bootstrap nor its watchdog performed it, e.g. both were killed) performs it first, with
  /// the run lock. A bootstrap still waiting is left alone here: read-only commands go on.
  func settleOverdueBootstrap() async throws {
    let files = BootstrapFiles(store: store)
    guard files.hasRecords else { return }
    let interrupted = access(files.rollingBackPath, F_OK) == 0
    let identity = environment.kernelIdentity()
    let due = (try? files.pending())?.mustRollBack(at: Date(), kernel: identity) ?? false
    guard interrupted || due else { return }
    do throws(CycleError) {
      let lock = try reconciler.lock(wait: true)
      defer { withExtendedLifetime(lock) {} }
      try await settleBootstrap(refuseWhileWaiting: false)
    } catch {
      throw fail(error)
    }
  }

  /// With the lock held: performs an overdue rollback (and says so), and with
  /// `refuseWhileWaiting` refuses to go on while a bootstrap waits for its confirmation, so
  /// that no other change lands between the bootstrap and its rollback.
  func settleBootstrap(refuseWhileWaiting: Bool) async throws(CycleError) {
    let started = Date()
    switch try await BootstrapRollback(reconciler: reconciler).settle(now: started) {
    case .nothing:
      return
    case .waiting(let pending):
      guard refuseWhileWaiting else { return }
      throw .state(
        .bootstrapWaiting(
          deadline: pending.deadline, path: BootstrapFiles(store: store).pendingPath))
    case .rolledBack(let record, let reason, let changes):
      let message = Self.rollbackMessage(record, reason: reason, changes: changes)
      recorder.recordRollback(message, at: started)
      console.error("origin-guard: \(message)")
    }
  }

  static func rollbackMessage(_ record: PendingRollback, reason: RollbackReason, changes: Int)
    -> String
  {
    let deadline = record.deadline.formatted(.iso8601)
    let restored =
      record.previousTable == nil
      ? "removed table inet \(record.tableName), which did not exist before"
      : "restored table inet \(record.tableName) in place as it was (\(changes) change(s))"
    return
      "rolled back the bootstrap applied at \(record.appliedAt.formatted(.iso8601)) (confirmation deadline \(deadline)): \(reason); \(restored) and the saved state"
  }
}
