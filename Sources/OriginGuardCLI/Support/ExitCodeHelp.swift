import ArgumentParser
import OriginGuard

enum ExitCodeHelp {
  static var table: String {
    OriginGuard.ExitCode.allCases.map { "  \($0.rawValue)  \($0.meaning)" }.joined(separator: "\n")
  }
}

extension OriginGuard.ExitCode {
  /// The exit of the process, for ArgumentParser.
  var asExit: ArgumentParser.ExitCode { ArgumentParser.ExitCode(rawValue) }
}
