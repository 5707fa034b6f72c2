/// The plain list format shared by files and downloads: one address or prefix per line, `#`
/// starts a comment (whole line or trailing), blank lines ignored, CRLF tolerated.
enum TextList {
  struct Line {
    /// 1-based.
    let number: Int
    /// The line up to its comment. Not trimmed, so parser columns are columns of the line.
    let content: String
  }

  static func lines(of text: String) -> [Line] {
    var result: [Line] = []
    var number = 0
    // Split on the scalar: as a Character, "\r\n" is one grapheme, not a "\n".
    for rawLine in text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false) {
      number += 1
      var line = Substring(rawLine)
      if number == 1, line.first == "\u{FEFF}" { line.removeFirst() }
      if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
      if line.last == "\r" { line.removeLast() }
      if line.allSatisfy(\.isWhitespace) { continue }
      result.append(Line(number: number, content: String(line)))
    }
    return result
  }

  /// Whether a document should be read as JSON: its first non-space character is `[` or `{`.
  static func looksLikeJSON(_ text: String) -> Bool {
    let first = text.first { !$0.isWhitespace && $0 != "\u{FEFF}" }
    return first == "[" || first == "{"
  }
}
