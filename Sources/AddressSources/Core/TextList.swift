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
    var text = text
    return text.withUTF8(lines(of:))
  }

  /// Works on the bytes, not the Characters: "\r\n" is one Character, so splitting on the
  /// Character "\n" leaves a CRLF document as a single line; and bytes are fast.
  private static func lines(of bytes: UnsafeBufferPointer<UInt8>) -> [Line] {
    var result: [Line] = []
    var number = 0
    var lineStart = 0
    while lineStart <= bytes.count {
      var lineEnd = lineStart
      while lineEnd < bytes.count && bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
      number += 1
      var start = lineStart
      var end = lineEnd
      if number == 1, bytes[start..<end].starts(with: byteOrderMark) {
        start += byteOrderMark.count
      }
      if let hash = bytes[start..<end].firstIndex(of: UInt8(ascii: "#")) { end = hash }
      if end > start && bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
      let line = UnsafeBufferPointer(rebasing: bytes[start..<end])
      if !isBlank(line) {
        result.append(Line(number: number, content: String(decoding: line, as: UTF8.self)))
      }
      lineStart = lineEnd + 1
    }
    return result
  }

  private static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

  /// White space only, by `Character.isWhitespace`; ASCII lines are checked byte by byte.
  private static func isBlank(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
    guard line.allSatisfy({ $0 < 0x80 }) else {
      return String(decoding: line, as: UTF8.self).allSatisfy(\.isWhitespace)
    }
    return line.allSatisfy { $0 == UInt8(ascii: " ") || (0x09...0x0D).contains($0) }
  }

  /// Whether a document should be read as JSON: its first non-space character is `[` or `{`.
  static func looksLikeJSON(_ text: String) -> Bool {
    let first = text.first { !$0.isWhitespace && $0 != "\u{FEFF}" }
    return first == "[" || first == "{"
  }
}
