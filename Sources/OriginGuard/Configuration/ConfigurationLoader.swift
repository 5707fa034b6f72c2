/// Reads `config.yaml` into a `Configuration`, or says everything that is wrong with it.
///
/// The YAML is walked node by node rather than decoded, so that every problem names its line
/// and key path (`config.yaml:12: sources[1].domains: expected a list of strings, found a
/// mapping`), unknown keys are caught with a suggestion, and all problems are reported at once.
public enum ConfigurationLoader {
  /// Reads and checks the file, including that a file holding an inline secret is readable by
  /// its owner alone.
  public static func load(path: String = Configuration.defaultPath) throws(ConfigurationError)
    -> Configuration
  {
    let problems = ProblemList(path: path)
    guard let file = ConfigurationFile.contents(of: path, problems: problems) else {
      throw problems.error()
    }
    return try parse(yaml: file.text, path: path, fileMode: file.mode)
  }

  /// Checks text already read. `path` is used in messages. `fileMode` (`st_mode & 0o7777`) is
  /// the mode of the file the text came from; nil skips the check for inline secrets, for
  /// text that never was a file.
  public static func parse(yaml: String, path: String, fileMode: UInt32? = nil)
    throws(ConfigurationError) -> Configuration
  {
    let problems = ProblemList(path: path)
    guard let document = YAMLComposer.compose(yaml, problems: problems) else {
      throw problems.error()
    }
    let reader = ConfigurationReader(document: document, problems: problems, fileMode: fileMode)
    guard let configuration = reader.read(), problems.isEmpty else { throw problems.error() }
    return configuration
  }
}
