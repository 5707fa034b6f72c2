/// The problems found while reading one configuration file. One instance per parse, shared by
/// the readers of its parts so that reading goes on after a problem and all are reported.
final class ProblemList {
  let path: String
  private(set) var problems: [ConfigurationProblem] = []

  init(path: String) {
    self.path = path
  }

  var isEmpty: Bool { problems.isEmpty }

  func add(_ kind: ConfigurationProblem.Kind, line: Int?, keyPath: String, _ message: String) {
    problems.append(
      ConfigurationProblem(kind: kind, path: path, line: line, keyPath: keyPath, message: message))
  }

  /// In the order of the file, so an operator can fix them from top to bottom; problems of
  /// the same line keep the order they were found in.
  var sortedByLine: [ConfigurationProblem] {
    problems.enumerated()
      .sorted { ($0.element.line ?? 0, $0.offset) < ($1.element.line ?? 0, $1.offset) }
      .map(\.element)
  }

  func error() -> ConfigurationError {
    ConfigurationError(path: path, problems: sortedByLine)
  }
}
