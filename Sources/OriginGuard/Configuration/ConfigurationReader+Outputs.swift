import AddressSources
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// `outputs:` — files written from the allow-list after every successful sync.
extension ConfigurationReader {
  /// The keys of an output, for the hint when one is written at the top level.
  static let outputOnlyKeys = ["on_change", "check", "owner", "mode"]

  func readOutputs(_ field: YAMLField, sources: [SourceConfig], configuration: Configuration)
    -> [OutputConfig]
  {
    guard let elements = field.list(of: "outputs (mappings with format: and path:)") else {
      return []
    }
    var outputs: [OutputConfig] = []
    var names: [String: String] = [:]
    var paths: [String: String] = [:]
    let sourceNames = sources.map(\.name)
    for element in elements {
      guard let output = readOutput(element, sourceNames: sourceNames) else { continue }
      if let first = names[output.name] {
        element.invalid(
          "output name \(String(reflecting: output.name)) is already used by \(first); every output needs its own name (it labels the metrics)"
        )
        continue
      }
      if let first = paths[output.path] {
        element.invalid(
          "\(output.path) is already written by \(first); two outputs would overwrite each other")
        continue
      }
      let reserved = [configuration.metricsFile].compactMap { $0 }
      if reserved.contains(output.path)
        || StateDirectoryPolicy.normalized(output.path).hasPrefix(
          StateDirectoryPolicy.normalized(configuration.stateDirectory) + "/")
      {
        element.invalid(
          "\(output.path) is origin-guard's own file or in its state_dir; write outputs where their reader looks"
        )
        continue
      }
      names[output.name] = element.keyPath
      paths[output.path] = element.keyPath
      outputs.append(output)
    }
    return outputs
  }

  private func readOutput(_ field: YAMLField, sourceNames: [String]) -> OutputConfig? {
    guard
      var keys = mapping(field, expected: "an output: a mapping with format:, path: and more")
    else { return nil }
    // An optional key that is present but wrong makes the output invalid.
    var valid = true
    func read<T>(_ key: String, _ reader: (YAMLField) -> T?) -> T? {
      guard let field = keys.optional(key) else { return nil }
      let value = reader(field)
      if value == nil { valid = false }
      return value
    }
    let formatList = YAMLField.list(ListFormat.allCases.map(\.rawValue))
    let format = keys.required("format", hint: "one of \(formatList)")?
      .choice(ListFormat.self, what: "an output format")
    let path = keys.required("path", hint: "the file to write, an absolute path").flatMap {
      outputPath($0)
    }
    let name = read("name") { $0.string() }
    let mode = read("mode", fileMode)
    let owner = read("owner", fileOwner)
    let sources = read("sources") { selectedSources($0, among: sourceNames) }
    let check = read("check", command)
    let onChange = read("on_change", command)
    let timeout = read("timeout") { $0.duration(atLeast: .milliseconds(100)) }
    keys.reportUnknownKeys(context: "an output")
    guard valid, let format, let path else { return nil }
    return OutputConfig(
      name: name ?? path, format: format, path: path, mode: mode ?? OutputConfig.defaultMode,
      ownerName: owner?.name, owner: owner?.ownership, sources: sources, check: check,
      onChange: onChange, timeout: timeout ?? OutputConfig.defaultTimeout)
  }

  private func outputPath(_ field: YAMLField) -> String? {
    guard let path = absolutePath(field) else { return nil }
    guard !path.hasSuffix("/"), !(path as NSString).lastPathComponent.hasPrefix(".") else {
      field.invalid("\(String(reflecting: path)) does not name a file")
      return nil
    }
    return path
  }

  /// `0644`, `644` or `0o644`: octal, as chmod reads it.
  private func fileMode(_ field: YAMLField) -> mode_t? {
    guard let text = field.string(expected: "an octal mode such as 0644") else { return nil }
    let digits = text.hasPrefix("0o") ? String(text.dropFirst(2)) : text
    guard let mode = mode_t(digits, radix: 8), mode <= 0o777 else {
      field.invalid("\(String(reflecting: text)) is not a file mode; write it in octal, e.g. 0644")
      return nil
    }
    guard mode & 0o022 == 0 else {
      field.invalid(
        "\(text) lets group or others write the file, and whoever writes it chooses whom the web server trusts; use 0644 or 0640"
      )
      return nil
    }
    return mode
  }

  /// `user` (with the user's group) or `user:group`, resolved now.
  private func fileOwner(_ field: YAMLField) -> (name: String, ownership: FileOwnership)? {
    guard let text = field.string(expected: "a user, or user:group") else { return nil }
    let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
    guard parts.count <= 2, let user = parts.first, !user.isEmpty,
      let account = getpwnam(user)
    else {
      field.invalid("no user \(String(reflecting: parts.first ?? text)) on this system")
      return nil
    }
    var gid = account.pointee.pw_gid
    let uid = account.pointee.pw_uid
    if parts.count == 2 {
      guard !parts[1].isEmpty, let group = getgrnam(parts[1]) else {
        field.invalid("no group \(String(reflecting: parts[1])) on this system")
        return nil
      }
      gid = group.pointee.gr_gid
    }
    return (text, FileOwnership(uid: uid, gid: gid))
  }

  private func selectedSources(_ field: YAMLField, among names: [String]) -> [String]? {
    guard let entries = field.stringList(nonEmpty: true) else { return nil }
    var valid = true
    for (name, element) in entries where !names.contains(name) {
      var message = "no source is named \(String(reflecting: name))"
      if let suggestion = KeySuggestion.closest(to: name, among: names) {
        message += "; did you mean \(String(reflecting: suggestion))?"
      }
      element.invalid(message)
      valid = false
    }
    return valid ? entries.map(\.text) : nil
  }

  /// An argument list run without a shell: the program (absolute, or looked up on PATH) and
  /// its arguments.
  private func command(_ field: YAMLField) -> [String]? {
    guard case .sequence = field.node else {
      field.wrongType(
        expected:
          "a command as a list, e.g. [nginx, -s, reload] (it runs without a shell: no quoting, pipes or $VARIABLES)"
      )
      return nil
    }
    guard let arguments = field.stringList(nonEmpty: true),
      let program = arguments.first?.text
    else { return nil }
    guard program.hasPrefix("/") || !program.contains("/") else {
      arguments[0].field.invalid(
        "\(String(reflecting: program)) is relative to a working directory the service does not have; write an absolute path or a program name looked up on PATH"
      )
      return nil
    }
    return arguments.map(\.text)
  }
}
