import Yams

/// A composed YAML document, and the keys renamed to get past Yams' duplicate-key refusal.
struct ComposedDocument {
  /// nil for an empty document.
  var root: Node?
  /// Renamed key → the key as written. See `YAMLComposer.compose`.
  var renamedDuplicateKeys: [String: String]

  /// A mapping key as the operator wrote it.
  func originalKey(_ key: String) -> String { renamedDuplicateKeys[key] ?? key }
}

/// Turns text into a Yams node tree, syntax errors into problems with a line.
enum YAMLComposer {
  /// More duplicates than this and the file is reported without a key path for them.
  static let maximumDuplicateKeys = 50

  /// Yams refuses a mapping with a duplicate key while composing and reports only the key and
  /// the line of its first occurrence — no key path, no second line. So that the message can
  /// say `sources[0].type: duplicate key; first defined at line 7` like every other problem,
  /// the first occurrence is renamed to a unique marker and the text composed again; the
  /// mapping reader translates markers back and reports each later occurrence.
  static func compose(_ text: String, problems: ProblemList) -> ComposedDocument? {
    var text = text
    var renamed: [String: String] = [:]
    while true {
      do {
        // `.basic`: YAMLScalar types plain scalars itself (YAML 1.2 core schema); Yams'
        // default resolver would compile its regular expressions with ICU on every start.
        let root = try Yams.compose(yaml: text, .basic)
        return ComposedDocument(root: root, renamedDuplicateKeys: renamed)
      } catch YamlError.duplicatedKeysInMapping(let duplicates, let context) {
        let key = duplicates.first ?? ""
        let marker = uniqueMarker(number: renamed.count + 1, key: key, avoiding: text)
        guard renamed.count < maximumDuplicateKeys,
          let marked = renaming(key: key, at: context.mark, to: marker, in: text)
        else {
          problems.add(
            .duplicateKey, line: context.mark.line, keyPath: "",
            "duplicate key \(String(reflecting: key)) in one mapping; remove all but one")
          return nil
        }
        renamed[marker] = key
        text = marked
      } catch let error as YamlError {
        report(error, text: text, problems: problems)
        return nil
      } catch {
        problems.add(.syntax, line: nil, keyPath: "", "not valid YAML: \(error)")
        return nil
      }
    }
  }

  private static func uniqueMarker(number: Int, key: String, avoiding text: String) -> String {
    var number = number
    while text.contains("origin-guard-duplicate-\(number)-") { number += 1 }
    return "origin-guard-duplicate-\(number)-\(key)"
  }

  /// The text with the key at `mark` replaced by `marker`, or nil when the key there is not
  /// written as a plain or quoted scalar (a complex key, an alias, an anchor in front).
  private static func renaming(key: String, at mark: Mark, to marker: String, in text: String)
    -> String?
  {
    var lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false)
      .map { Array($0) }
    let lineIndex = mark.line - 1
    guard lines.indices.contains(lineIndex) else { return nil }
    var line = lines[lineIndex]
    var start = mark.column - 1
    guard line.indices.contains(start) else { return nil }
    var quote: Unicode.Scalar? = nil
    if line[start] == "\"" || line[start] == "'" {
      quote = line[start]
      start += 1
    }
    let keyScalars = Array(key.unicodeScalars)
    let end = start + keyScalars.count
    guard end <= line.count, Array(line[start..<end]) == keyScalars else { return nil }
    if let quote, end < line.count, line[end] != quote { return nil }
    line.replaceSubrange(start..<end, with: Array(marker.unicodeScalars))
    lines[lineIndex] = line
    var result = String.UnicodeScalarView()
    for (index, line) in lines.enumerated() {
      if index > 0 { result.append("\n") }
      result.append(contentsOf: line)
    }
    return String(result)
  }

  private static func report(_ error: YamlError, text: String, problems: ProblemList) {
    switch error {
    case .scanner(let context, let problem, let mark, _),
      .parser(let context, let problem, let mark, _),
      .composer(let context, let problem, let mark, _):
      var message = "not valid YAML: \(problem)"
      if let context { message += " (\(context.text) at line \(context.mark.line))" }
      if lineContainsTab(mark.line, in: text) {
        message += "; indent with spaces, YAML does not allow tabs"
      }
      problems.add(.syntax, line: mark.line, keyPath: "", message)
    case .reader(let problem, _, _, _):
      problems.add(.unreadableFile, line: nil, keyPath: "", "cannot read the text: \(problem)")
    default:
      problems.add(.syntax, line: nil, keyPath: "", "not valid YAML: \(error)")
    }
  }

  private static func lineContainsTab(_ line: Int, in text: String) -> Bool {
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    return lines.indices.contains(line - 1) && lines[line - 1].contains("\t")
  }
}
