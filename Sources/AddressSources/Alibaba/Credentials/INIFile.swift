/// The ini dialect of `~/.alibabacloud/credentials`: `[section]`, `key = value`, comment
/// lines starting with `#` or `;`, trailing `#` comments. Keys before any section belong to
/// the section named "".
struct INIFile {
  private(set) var sections: [String: [String: String]] = [:]

  init(_ text: String) {
    var section = ""
    for rawLine in text.split(whereSeparator: \.isNewline) {
      var line = Substring(rawLine)
      if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
      let trimmed = line.trimmingSpaces
      if trimmed.isEmpty || trimmed.hasPrefix(";") { continue }
      if trimmed.hasPrefix("[") && trimmed.hasSuffix("]") {
        section = String(trimmed.dropFirst().dropLast()).trimmingSpaces
        sections[section, default: [:]] = sections[section] ?? [:]
        continue
      }
      guard let equals = trimmed.firstIndex(of: "=") else { continue }
      let key = String(trimmed[..<equals]).trimmingSpaces.lowercased()
      var value = String(trimmed[trimmed.index(after: equals)...]).trimmingSpaces
      if value.count >= 2, value.first == "\"", value.last == "\"" {
        value = String(value.dropFirst().dropLast())
      }
      sections[section, default: [:]][key] = value
    }
  }
}

extension Substring {
  fileprivate var trimmingSpaces: String { String(self).trimmingSpaces }
}
