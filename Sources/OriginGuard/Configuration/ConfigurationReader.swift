import AddressSources
import Netfilter
import Yams

/// Walks the composed document and builds a `Configuration`, reporting every problem on the
/// way. Reading goes on after a problem so that one run shows all of them; a configuration is
/// only returned when there were none.
struct ConfigurationReader {
  let document: ComposedDocument
  let problems: ProblemList
  /// Of the file the text came from, for `InlineSecretCheck`; nil when there was no file.
  let fileMode: UInt32?

  func mapping(_ field: YAMLField, expected: String = "a mapping") -> MappingReader? {
    MappingReader(field, document: document, expected: expected)
  }

  func read() -> Configuration? {
    guard let root = document.root else {
      problems.add(
        .missingKey, line: nil, keyPath: "sources",
        "the file is empty; it needs at least a sources: list")
      return nil
    }
    let rootField = YAMLField(node: root, keyPath: "", problems: problems)
    guard
      var top = mapping(rootField, expected: "a mapping of settings (table:, ports:, sources:, …)")
    else { return nil }

    let ruleset = readRuleset(&top)
    var retainRemoved: [String: Duration] = [:]
    let sources =
      top.required(
        "sources", hint: "list where the allow-list comes from, e.g. a static or alibaba-cdn source"
      ).flatMap { readSources($0, retainRemoved: &retainRemoved) } ?? []
    let guards = top.optional("guards").flatMap(readGuards) ?? GuardSettings()
    var configuration = Configuration(
      ruleset: ruleset, sources: sources, guards: guards, path: problems.path)
    configuration.retainRemoved = retainRemoved
    readService(&top, into: &configuration)
    if let field = top.optional("outputs") {
      configuration.outputs = readOutputs(field, sources: sources, configuration: configuration)
    }
    // A guard limit or a source key at the top level is a common indentation slip.
    var misplaced = Dictionary(
      uniqueKeysWithValues: Self.guardKeys.map { ($0, "the guards: mapping") })
    for key in SourceKeyCatalog.allKeys where misplaced[key] == nil {
      misplaced[key] = "a source under sources:"
    }
    for key in Self.outputOnlyKeys { misplaced[key] = "an output under outputs:" }
    top.reportUnknownKeys(elsewhere: misplaced)

    guard problems.isEmpty else { return nil }
    return configuration
  }

  /// The keys about running: staleness, state, metrics, timing, logging.
  private func readService(_ top: inout MappingReader, into configuration: inout Configuration) {
    if let maxStale = top.optional("max_stale")?.duration() { configuration.maxStale = maxStale }
    if let field = top.optional("state_dir"), let directory = absolutePath(field) {
      if let problem = StateDirectoryPolicy.problem(directory) {
        field.invalid("\(String(reflecting: directory)): \(problem.reason); \(problem.fix)")
      } else {
        configuration.stateDirectory = directory
      }
    }
    if let field = top.optional("metrics_file"), let file = absolutePath(field) {
      if file.hasSuffix(".prom") {
        configuration.metricsFile = file
      } else {
        field.invalid("node_exporter's textfile collector reads only files ending in .prom")
      }
    }
    if let interval = top.optional("interval")?.duration(atLeast: .seconds(1)) {
      configuration.interval = interval
    }
    if let field = top.optional("jitter"), let jitter = field.duration() {
      if jitter <= configuration.interval {
        configuration.jitter = jitter
      } else {
        field.invalid(
          "\(DurationSyntax.format(jitter)) is longer than interval (\(DurationSyntax.format(configuration.interval)))"
        )
      }
    }
    if let level = top.optional("log_level")?.choice(LogLevel.self, what: "a log level") {
      configuration.logLevel = level
    }
    if let format = top.optional("log_format")?.choice(LogFormat.self, what: "a log format") {
      configuration.logFormat = format
    }
  }

  /// An absolute path, or one starting with `~/`: the service does not run in a predictable
  /// working directory, so relative paths would mean something different under systemd.
  func absolutePath(_ field: YAMLField, allowHome: Bool = false) -> String? {
    guard let path = field.string() else { return nil }
    guard path.hasPrefix("/") || (allowHome && path.hasPrefix("~/")) else {
      field.invalid(
        "\(String(reflecting: path)) is relative; write an absolute path"
          + (allowHome ? " (or one starting with ~/)" : ""))
      return nil
    }
    return path
  }
}
