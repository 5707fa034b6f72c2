import Foundation
import Logging
import OriginGuard

/// Logs go to stderr (stdout carries command output): text lines for people and journald,
/// one JSON object per line for collectors.
enum LogSetup {
  static func bootstrap(level: LogLevel, format: LogFormat) -> Logger {
    let logLevel = Logger.Level(rawValue: level.rawValue) ?? .info
    LoggingSystem.bootstrap { label in
      var handler: any LogHandler =
        switch format {
        case .text: StreamLogHandler.standardError(label: label)
        case .json: JSONLogHandler(label: label)
        }
      handler.logLevel = logLevel
      return handler
    }
    return Logger(label: "origin-guard")
  }
}

/// One JSON object per line on stderr: `{"time":…,"level":…,"message":…, metadata…}`.
struct JSONLogHandler: LogHandler {
  let label: String
  var logLevel: Logger.Level = .info
  var metadata: Logger.Metadata = [:]

  subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  func log(event: LogEvent) {
    FileHandle.standardError.write(
      Self.line(
        level: event.level, label: label, message: "\(event.message)",
        metadata: metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 })))
  }

  /// One log line: also what `Console` writes for diagnostics in the JSON format.
  static func line(level: Logger.Level, label: String, message: String, metadata: Logger.Metadata)
    -> Data
  {
    var object: [String: Any] = [
      "time": ISO8601DateFormatter().string(from: Date()),
      "level": level.rawValue,
      "logger": label,
      "message": message,
    ]
    for (key, value) in metadata { object[key] = "\(value)" }
    guard
      var data = try? JSONSerialization.data(
        withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    else { return Data() }
    data.append(0x0A)
    return data
  }
}
