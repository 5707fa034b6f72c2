import Foundation

extension CycleRecorder {
  /// A bootstrap's change undone: the run record says so (`result: rolled_back`), whoever
  /// rolled back (the bootstrap, its watchdog or a later run).
  public func recordRollback(_ message: String, at date: Date) {
    var record = (try? store.loadRunRecord()) ?? RunRecord()
    record.attemptedAt = date
    record.result = "rolled_back"
    record.message = message
    record.lastChangeAt = date
    record.runsTotal["rolled_back", default: 0] += 1
    logger.warning("\(message)")
    do {
      try store.saveRunRecord(record)
    } catch {
      logger.error("\(error)")
    }
  }
}
