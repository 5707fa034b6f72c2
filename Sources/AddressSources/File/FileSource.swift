import Foundation

/// Configuration of a `file` source: a local list, one address or prefix per line with `#`
/// comments, or a JSON array of strings (recognised by its first character, `[`).
public struct FileSourceConfig: Hashable, Sendable {
  public var name: String
  /// `path`: absolute, or starting with `~/`.
  public var path: String
  public var policy: EntryPolicy

  public init(name: String, path: String, policy: EntryPolicy = EntryPolicy()) {
    self.name = name
    self.path = path
    self.policy = policy
  }
}

/// Reads the whole file on every fetch. Errors name the file, line and column.
public struct FileSource: AddressSource {
  public let config: FileSourceConfig
  private let context: SourceContext

  public init(config: FileSourceConfig, context: SourceContext) {
    self.config = config
    self.context = context
  }

  public var name: String { config.name }

  public func fetch() async throws(SourceError) -> SourceResult {
    try config.policy.validate(source: name)
    let path = context.environment.expandingTilde(config.path)
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
      throw .unreadableFile(source: name, path: path, reason: Self.reason(error))
    }
    guard let text = String(data: data, encoding: .utf8) else {
      throw .unreadableFile(source: name, path: path, reason: "not UTF-8 text")
    }
    var collector = EntryCollector(source: name, policy: config.policy)
    if TextList.looksLikeJSON(text) {
      try Self.collectJSON(data, path: path, into: &collector)
    } else {
      let lines = TextList.lines(of: text)
      collector.reserveCapacity(lines.count)
      for line in lines {
        try collector.add(line.content, origin: .file(path: path, line: line.number))
      }
    }
    try collector.requireEntries(since: 0, origin: nil)
    collector.log(to: context.logger)
    return SourceResult(
      source: name, kind: .file, entries: collector.entries, skipped: collector.skipped,
      fetchedAt: context.clock.now(),
      version: SourceVersion(checksum: SourceVersion.checksum(of: collector.entries)))
  }

  private static func collectJSON(_ data: Data, path: String, into collector: inout EntryCollector)
    throws(SourceError)
  {
    let elements: [JSONStringArray.Element]
    do {
      elements = try JSONStringArray.parse(data)
    } catch {
      let problem =
        switch error {
        case .notJSON(let detail): "not valid JSON: \(detail)"
        case .notAnArray: "a JSON file must be an array of strings"
        }
      throw .malformedDocument(
        source: collector.source, origin: .file(path: path, line: 1), problem: problem,
        requestID: nil)
    }
    for element in elements {
      let origin = Origin.file(path: path, line: element.line)
      guard let string = element.string else {
        try collector.reject(
          element.text, origin: origin, column: element.column, reason: "not a string")
        continue
      }
      // The parser counts from the first character inside the quotes.
      try collector.add(string, origin: origin, columnOffset: element.column)
    }
  }

  private static func reason(_ error: any Error) -> String {
    switch (error as? CocoaError)?.code {
    case .fileReadNoSuchFile?: "no such file"
    case .fileReadNoPermission?: "permission denied"
    case .fileReadCorruptFile?, .fileReadUnknown?: "read error (is it a directory?)"
    default: (error as NSError).localizedDescription
    }
  }

}
