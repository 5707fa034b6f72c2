import Foundation

/// What the last runs did, kept across runs for `status` and for the metrics' counters.
/// Unlike the last-known-good state it is written after every cycle, failed ones included.
public struct RunRecord: Codable, Sendable, Equatable {
  public struct SourceRecord: Codable, Sendable, Equatable {
    /// `fresh`, `unchanged`, `cache` or `failed` in the last run.
    public var status: String
    public var lastError: String?
    public var lastErrorAt: Date?
    public var errorsTotal: Int
    public var cacheFallbacksTotal: Int

    enum CodingKeys: String, CodingKey {
      case status
      case lastError = "last_error"
      case lastErrorAt = "last_error_at"
      case errorsTotal = "errors_total"
      case cacheFallbacksTotal = "cache_fallbacks_total"
    }
  }

  public var attemptedAt: Date?
  /// `success`, `refused`, `source_failed`, `locked` or `error`.
  public var result: String?
  public var message: String?
  public var lastSuccessAt: Date?
  public var lastChangeAt: Date?
  public var lastAdded: Int
  public var lastRemoved: Int
  public var durationSeconds: Double
  public var sources: [String: SourceRecord]
  public var driftRepairsTotal: Int
  /// Per guard kind (`max_shrink_percent`, …).
  public var guardRefusalsTotal: [String: Int]
  public var runsTotal: [String: Int]

  public init() {
    lastAdded = 0
    lastRemoved = 0
    durationSeconds = 0
    sources = [:]
    driftRepairsTotal = 0
    guardRefusalsTotal = [:]
    runsTotal = [:]
  }

  enum CodingKeys: String, CodingKey {
    case attemptedAt = "attempted_at"
    case result, message
    case lastSuccessAt = "last_success_at"
    case lastChangeAt = "last_change_at"
    case lastAdded = "last_added"
    case lastRemoved = "last_removed"
    case durationSeconds = "duration_seconds"
    case sources
    case driftRepairsTotal = "drift_repairs_total"
    case guardRefusalsTotal = "guard_refusals_total"
    case runsTotal = "runs_total"
  }
}

extension StateStore {
  /// The record, or an empty one when there is none or it cannot be decoded. Throws when
  /// someone else could have written it (`FileTrust`).
  public func loadRunRecord() throws(StateError) -> RunRecord {
    try checkDirectory()
    guard let data = try readTrusted(lastRunPath),
      let record = try? Self.decoder.decode(RunRecord.self, from: data)
    else { return RunRecord() }
    return record
  }

  public func saveRunRecord(_ record: RunRecord) throws(StateError) {
    try prepare()
    do {
      try AtomicFile.write(try Self.encoder.encode(record), to: lastRunPath, durable: false)
    } catch let error as StateError {
      throw error
    } catch {
      throw .corrupt(path: lastRunPath, reason: "cannot encode: \(error)")
    }
  }
}
