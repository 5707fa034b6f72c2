import Foundation

/// A JSON array of strings with the line and column of each element, so that an error in a
/// 5,000-line JSON file points at the line to fix. JSONSerialization parses; a small scan of
/// the top level finds where each element starts.
enum JSONStringArray {
  struct Element {
    /// The string, or nil when the element is something else (a number, an object).
    let string: String?
    /// How the element reads in the document, for error messages.
    let text: String
    let line: Int
    /// 1-based column of the element's first character (the opening quote for strings).
    let column: Int
  }

  enum Failure: Error {
    case notJSON(String)
    case notAnArray
  }

  static func parse(_ data: Data) throws(Failure) -> [Element] {
    let object: Any
    do {
      object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
    } catch {
      throw .notJSON(
        (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)")
    }
    guard let array = object as? [Any] else { throw .notAnArray }
    let positions = topLevelElementPositions(Array(data))
    return array.enumerated().map { index, value in
      let (line, column) = index < positions.count ? positions[index] : (1, 1)
      if let string = value as? String {
        return Element(string: string, text: string, line: line, column: column)
      }
      return Element(string: nil, text: describe(value), line: line, column: column)
    }
  }

  private static func describe(_ value: Any) -> String {
    if value is NSNull { return "null" }
    if let data = try? JSONSerialization.data(
      withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys]),
      let text = String(data: data, encoding: .utf8)
    {
      return text
    }
    return "\(value)"
  }

  /// Line and column where each element of the outermost array starts. Only called on text
  /// JSONSerialization accepted, so the scan need not validate anything.
  private static func topLevelElementPositions(_ bytes: [UInt8]) -> [(Int, Int)] {
    var positions: [(Int, Int)] = []
    var line = 1
    var column = 0
    var depth = 0
    var inString = false
    var escaped = false
    var expectingElement = false
    for byte in bytes {
      if byte == UInt8(ascii: "\n") {
        line += 1
        column = 0
        continue
      }
      // Count characters, not bytes: UTF-8 continuation bytes do not start a column.
      if byte & 0xC0 != 0x80 { column += 1 }
      if inString {
        if escaped {
          escaped = false
        } else if byte == UInt8(ascii: "\\") {
          escaped = true
        } else if byte == UInt8(ascii: "\"") {
          inString = false
        }
        continue
      }
      let isSpace = byte == 0x20 || byte == 0x09 || byte == 0x0D
      if expectingElement && !isSpace && byte != UInt8(ascii: "]") {
        positions.append((line, column))
        expectingElement = false
      }
      switch byte {
      case UInt8(ascii: "\""): inString = true
      case UInt8(ascii: "["), UInt8(ascii: "{"):
        depth += 1
        if depth == 1 { expectingElement = true }
      case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
      case UInt8(ascii: ","): if depth == 1 { expectingElement = true }
      default: break
      }
    }
    return positions
  }
}
