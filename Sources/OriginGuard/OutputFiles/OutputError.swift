import AddressSources

/// Why an output was not brought up to date. The firewall update it follows stands either way;
/// each case says what was left in place and what to do.
public enum OutputError: Error, Sendable, Equatable, CustomStringConvertible {
  case missingDirectory(path: String, directory: String)
  case untrustedDirectory(path: String, directory: String, problem: String)
  /// Writing, renaming or keeping the old content aside failed (full disk, read-only file
  /// system, a symbolic link at the path).
  case file(path: String, LocalFileError)
  case checkFailed(path: String, command: ExternalCommand, ExternalCommand.Result)
  case onChangeFailed(path: String, command: ExternalCommand, ExternalCommand.Result)

  public var description: String {
    switch self {
    case .missingDirectory(let path, let directory):
      "cannot write \(path): the directory \(directory) does not exist; origin-guard does not create it (a typo in path would otherwise go unnoticed): create it or correct path"
    case .untrustedDirectory(let path, let directory, let problem):
      "refusing to write \(path): \(directory) is \(problem), so another user could replace the file its reader trusts; run `chown \(FileTrust.userName): \(directory) && chmod go-w \(directory)` or write it elsewhere"
    case .file(let path, let error):
      "cannot write \(path): \(error); the old content, if any, is unchanged"
    case .checkFailed(let path, let command, let result):
      "check \(command) of the new \(path) \(result.explanation); put the old content back (the firewall is updated all the same); it is tried again after the next sync"
    case .onChangeFailed(let path, let command, let result):
      "on_change \(command) after writing \(path) \(result.explanation); the new content is in place, and the command runs again after the next sync"
    }
  }
}
