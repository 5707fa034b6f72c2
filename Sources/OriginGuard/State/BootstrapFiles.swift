import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// `<state_dir>/bootstrap/`: how a waiting bootstrap, its watchdog, `confirm` and later runs
/// agree on exactly one outcome.
///
/// `pending.json` is the rollback record while the bootstrap waits. The outcome is decided by
/// renaming it, which only one process can do: `confirm` renames it to `confirmed.json`, a
/// rollback (always under the run lock) to `rolling-back.json` and removes that once the
/// kernel and the state are restored. A `rolling-back.json` left behind means a rollback was
/// killed half-way; the next run finishes it.
public struct BootstrapFiles: Sendable {
  public let directory: String
  private let store: StateStore

  public init(store: StateStore) {
    self.store = store
    directory = store.bootstrapDirectory
  }

  public var pendingPath: String { directory + "/pending.json" }
  public var confirmedPath: String { directory + "/confirmed.json" }
  public var rollingBackPath: String { directory + "/rolling-back.json" }

  /// Before the apply. A confirmation left by an earlier bootstrap cannot confirm this one:
  /// it is removed, and it names another id anyway.
  public func record(_ rollback: PendingRollback) throws(StateError) {
    try AtomicFile.makeDirectory(directory)
    unlink(confirmedPath)
    try AtomicFile.write(try encode(rollback), to: pendingPath)
  }

  /// The record at `path`, nil when there is none.
  public func load(_ path: String) throws(StateError) -> PendingRollback? {
    // Read with the state directory's trust rule: a record decides what the kernel gets.
    guard let data = try store.readTrusted(path) else { return nil }
    do {
      let record = try StateStore.decoder.decode(PendingRollback.self, from: data)
      guard record.format == PendingRollback.currentFormat else {
        throw StateError.corrupt(path: path, reason: "unknown format \(record.format)")
      }
      return record
    } catch let error as StateError {
      throw error
    } catch {
      throw .corrupt(
        path: path,
        reason:
          "not a bootstrap rollback record (\(error)); check `nft list table inet <table>` and remove the file"
      )
    }
  }

  public func pending() throws(StateError) -> PendingRollback? { try load(pendingPath) }

  public enum Confirmation: Sendable {
    case confirmed(PendingRollback)
    case nothingWaiting
    /// The deadline passed: the rollback is due, a confirmation no longer keeps the change.
    case tooLate(PendingRollback)
  }

  /// `origin-guard confirm`. Needs no lock: the rename decides against a rollback.
  public func confirm(at date: Date, kernel identity: String = KernelIdentity.current())
    throws(StateError) -> Confirmation
  {
    guard let waiting = try pending() else { return .nothingWaiting }
    if waiting.mustRollBack(at: date, kernel: identity) { return .tooLate(waiting) }
    guard rename(pendingPath, confirmedPath) == 0 else {
      // A rollback claimed it first.
      if errno == ENOENT {
        return access(rollingBackPath, F_OK) == 0 ? .tooLate(waiting) : .nothingWaiting
      }
      throw .io(operation: "rename \(pendingPath) to \(confirmedPath)", errno: errno)
    }
    AtomicFile.syncDirectory(directory)
    // What was renamed, which a bootstrap started meanwhile may have replaced. Already gone
    // when the waiting bootstrap took the confirmation first: confirmed all the same.
    return .confirmed((try load(confirmedPath)) ?? waiting)
  }

  /// Whether the bootstrap with `id` was confirmed; consumes the confirmation.
  public func takeConfirmation(id: String) -> Bool {
    guard let confirmed = try? load(confirmedPath), confirmed.id == id else { return false }
    unlink(confirmedPath)
    return true
  }

  /// Claims the waiting record for a rollback (with the run lock held). nil when there is
  /// none left to claim: a confirmation won, or another rollback finished.
  public func claimRollback() throws(StateError) -> PendingRollback? {
    guard rename(pendingPath, rollingBackPath) == 0 else {
      if errno == ENOENT { return nil }
      throw .io(operation: "rename \(pendingPath) to \(rollingBackPath)", errno: errno)
    }
    AtomicFile.syncDirectory(directory)
    return try load(rollingBackPath)
  }

  /// After the kernel and the state are restored.
  public func finishRollback() {
    unlink(rollingBackPath)
    AtomicFile.syncDirectory(directory)
  }

  /// A confirmation nobody waits for any more (with the run lock held, no bootstrap waits).
  public func removeStaleConfirmation() {
    unlink(confirmedPath)
  }

  /// Whether a run must look closer: a record is there (one stat each, no decoding).
  public var hasRecords: Bool {
    access(pendingPath, F_OK) == 0 || access(rollingBackPath, F_OK) == 0
  }

  private func encode(_ rollback: PendingRollback) throws(StateError) -> Data {
    do { return try StateStore.encoder.encode(rollback) } catch {
      throw .corrupt(path: pendingPath, reason: "cannot encode: \(error)")
    }
  }
}
