/// Why a configuration was refused: every problem found, not only the first, each naming the
/// file, the line and the key path, so one `origin-guard validate` run shows all of them.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
  /// The configuration file as given to the loader.
  public let path: String
  /// At least one, in the order of their lines.
  public let problems: [ConfigurationProblem]

  public init(path: String, problems: [ConfigurationProblem]) {
    self.path = path
    self.problems = problems
  }

  /// One line per problem; several are preceded by a count so none is missed.
  public var description: String {
    let lines = problems.map(\.description)
    guard lines.count > 1 else { return lines.first ?? "\(path): invalid configuration" }
    return (["\(path): \(lines.count) problems; nothing was changed:"] + lines)
      .joined(separator: "\n")
  }
}

/// One thing wrong with a configuration file, and where.
public struct ConfigurationProblem: Hashable, Sendable, CustomStringConvertible {
  public enum Kind: String, Hashable, Sendable, CaseIterable {
    /// The file could not be opened or read, is not a regular file, or not UTF-8.
    case unreadableFile
    /// Not valid YAML.
    case syntax
    /// A key that is not part of the format (often a typo: the message suggests the key meant).
    case unknownKey
    /// A value of the wrong YAML type: a mapping where a list belongs, a string for a number.
    case wrongType
    case missingKey
    /// The same key twice in one mapping; YAML would silently keep one of them.
    case duplicateKey
    /// The right type, but not an acceptable value: port 0, `5x` as a duration, a bad address.
    case invalidValue
    case duplicateSourceName
    /// Plain `http://` to anything but the loopback address.
    case insecureEndpoint
    /// An inline AccessKey secret in a file that group or others can read.
    case secretInReadableFile
    /// A configuration file another user owns, or that group or others can write.
    case untrustedFile
  }

  public let kind: Kind
  /// The configuration file.
  public let path: String
  /// 1-based; nil when the problem is with the file as a whole.
  public let line: Int?
  /// Such as `sources[1].domains`; empty for the document itself.
  public let keyPath: String
  /// What is wrong and what to do about it.
  public let message: String

  public init(kind: Kind, path: String, line: Int?, keyPath: String, message: String) {
    self.kind = kind
    self.path = path
    self.line = line
    self.keyPath = keyPath
    self.message = message
  }

  /// `config.yaml:12: sources[1].domains: expected a list of strings, found a mapping`
  public var description: String {
    let location = line.map { "\(path):\($0)" } ?? path
    return keyPath.isEmpty ? "\(location): \(message)" : "\(location): \(keyPath): \(message)"
  }
}
