import Yams

/// Reads one YAML mapping key by key. It remembers which keys were asked for, so that whatever
/// is left over can be reported as unknown, with a suggestion among the keys that were asked
/// for; and it reports duplicate keys, which YAML would otherwise resolve silently.
struct MappingReader {
  let field: YAMLField
  /// First occurrence of every key, in document order.
  private var entries: [(key: String, keyLine: Int?, value: Node)] = []
  private var asked: [String] = []

  /// nil, and a problem, when the field is not a mapping.
  init?(_ field: YAMLField, document: ComposedDocument, expected: String = "a mapping") {
    guard case .mapping(let mapping) = field.node else {
      field.wrongType(expected: expected)
      return nil
    }
    self.field = field
    var firstLines: [String: Int?] = [:]
    for (keyNode, value) in mapping {
      guard let scalar = keyNode.scalar else {
        field.problems.add(
          .wrongType, line: keyNode.mark?.line, keyPath: field.keyPath,
          "keys must be plain words, found \(keyNode.foundDescription) as a key")
        continue
      }
      let key = document.originalKey(scalar.string)
      let keyLine = keyNode.mark?.line
      if let firstLine = firstLines[key] {
        let first = firstLine.map { " (first at line \($0))" } ?? ""
        field.child(keyNode, key: key).report(
          .duplicateKey, "duplicate key\(first); YAML would silently keep only one, so remove one")
        continue
      }
      firstLines[key] = keyLine
      entries.append((key, keyLine, value))
    }
  }

  mutating func optional(_ key: String) -> YAMLField? {
    asked.append(key)
    guard let entry = entries.first(where: { $0.key == key }) else { return nil }
    return field.child(entry.value, key: key)
  }

  /// Reports a missing key at the line of the mapping; `hint` says what to write.
  mutating func required(_ key: String, hint: String? = nil) -> YAMLField? {
    guard let value = optional(key) else {
      let keyPath = field.keyPath.isEmpty ? key : "\(field.keyPath).\(key)"
      field.problems.add(
        .missingKey, line: field.line, keyPath: keyPath,
        "missing required key" + (hint.map { "; \($0)" } ?? ""))
      return nil
    }
    return value
  }

  /// Reports every key nobody asked for. `elsewhere` maps keys that are valid in a sibling
  /// context (another source type) to where they belong, for a better message than a guess.
  func reportUnknownKeys(context: String? = nil, elsewhere: [String: String] = [:]) {
    for entry in entries where !asked.contains(entry.key) {
      var message = "unknown key"
      if let context { message += " for \(context)" }
      if let home = elsewhere[entry.key] {
        message += "; it belongs to \(home)"
      } else if let suggestion = KeySuggestion.closest(to: entry.key, among: asked) {
        message += "; did you mean \(String(reflecting: suggestion))?"
      } else {
        var valid: [String] = []
        for key in asked where !valid.contains(key) { valid.append(key) }
        message += "; valid keys here: " + valid.joined(separator: ", ")
      }
      let keyPath = field.keyPath.isEmpty ? entry.key : "\(field.keyPath).\(entry.key)"
      field.problems.add(.unknownKey, line: entry.keyLine, keyPath: keyPath, message)
    }
  }
}
