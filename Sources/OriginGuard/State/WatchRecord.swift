import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// What `origin-guard run` records about its watch of the ruleset, for `status` and the
/// metrics: whether a daemon follows the ruleset's events, and its repairs. Written by the
/// daemon alone (`watch.json`), like `last-run.json`: atomically, without fsync.
public struct WatchRecord: Codable, Sendable, Equatable {
  /// Why a repair ran.
  public enum Trigger: String, Codable, Sendable, CaseIterable {
    /// An event said someone else changed our table.
    case event
    /// A scheduled cycle found drift.
    case cycle
  }

  public struct Repair: Codable, Sendable, Equatable {
    public var at: Date
    public var trigger: Trigger
    /// What was put back (`created the table again (someone deleted it)`).
    public var what: String
    /// From the first change noticed to the repair's commit.
    public var exposureSeconds: Double?

    public init(at: Date, trigger: Trigger, what: String, exposureSeconds: Double?) {
      self.at = at
      self.trigger = trigger
      self.what = what
      self.exposureSeconds = exposureSeconds
    }

    enum CodingKeys: String, CodingKey {
      case at, trigger, what
      case exposureSeconds = "exposure_seconds"
    }
  }

  /// The daemon's process, boot and start.
  public var pid: Int32
  public var bootID: String
  public var since: Date
  /// Set when the daemon stopped in an orderly way.
  public var stoppedAt: Date?
  /// False while the daemon runs without events (the subscription failed): it then repairs
  /// only in its cycles.
  public var subscribed: Bool
  public var eventRepairsTotal: Int
  /// Sum of the exposure of every event repair: with `eventRepairsTotal`, a summary.
  public var exposureSecondsTotal: Double
  public var lastRepair: Repair?

  public init(pid: Int32, bootID: String, since: Date, subscribed: Bool) {
    self.pid = pid
    self.bootID = bootID
    self.since = since
    self.subscribed = subscribed
    eventRepairsTotal = 0
    exposureSecondsTotal = 0
  }

  enum CodingKeys: String, CodingKey {
    case pid
    case bootID = "boot_id"
    case since
    case stoppedAt = "stopped_at"
    case subscribed
    case eventRepairsTotal = "event_repairs_total"
    case exposureSecondsTotal = "exposure_seconds_total"
    case lastRepair = "last_repair"
  }

  /// Whether the daemon that wrote this still runs: not stopped, same boot, and its process
  /// is an origin-guard.
  public var isRunning: Bool {
    guard stoppedAt == nil, bootID == BootID.current() else { return false }
    guard let name = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8) else {
      return false
    }
    return name.trimmingCharacters(in: .whitespacesAndNewlines) == "origin-guard"
  }
}

extension StateStore {
  public var watchRecordPath: String { directory + "/" + StateFileNames.watchRecord }

  /// The record, or nil when there is none or it cannot be decoded. Throws when someone else
  /// could have written it (`FileTrust`).
  public func loadWatchRecord() throws(StateError) -> WatchRecord? {
    try checkDirectory()
    guard let data = try readTrusted(watchRecordPath) else { return nil }
    return try? Self.decoder.decode(WatchRecord.self, from: data)
  }

  public func saveWatchRecord(_ record: WatchRecord) throws(StateError) {
    try prepare()
    do {
      try AtomicFile.write(try Self.encoder.encode(record), to: watchRecordPath, durable: false)
    } catch let error as StateError {
      throw error
    } catch {
      throw .corrupt(path: watchRecordPath, reason: "cannot encode: \(error)")
    }
  }
}
