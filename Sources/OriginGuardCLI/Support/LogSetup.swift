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
    var object: [String: Any] = [
      "time": ISO8601DateFormatter().string(from: Date()),
      "level": event.level.rawValue,
      "logger": label,
      "message": "\(event.message)",
    ]
    for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
      object[key] = "\(value)"
    }
    guard var data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
    data.append(0x0A)
    FileHandle.standardError.write(data)
  }
}
