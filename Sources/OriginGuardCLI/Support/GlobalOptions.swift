import ArgumentParser
import OriginGuard

/// Options every command that reads the configuration takes.
struct GlobalOptions: ParsableArguments {
  @Option(name: .shortAndLong, help: "The configuration file.")
  var config: String = Configuration.defaultPath

  @Option(help: "Log level, overriding log_level: trace, debug, info, notice, warning, error, critical.")
  var logLevel: String?

  @Option(help: "Log format, overriding log_format: text or json.")
  var logFormat: String?

  func validate() throws {
    if let logLevel, LogLevel(rawValue: logLevel) == nil {
      throw ValidationError("--log-level must be one of \(LogLevel.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    if let logFormat, LogFormat(rawValue: logFormat) == nil {
      throw ValidationError("--log-format must be text or json")
    }
  }
}
