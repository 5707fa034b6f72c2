import Foundation

/// Durations as operators write them: `30s`, `5m`, `1h30m`, `7d`, `250ms`, or a plain number of
/// seconds. Units go from largest to smallest, each at most once, so `30m1h` (probably a typo)
/// is refused rather than guessed at.
enum DurationSyntax {
  struct Error: Swift.Error, CustomStringConvertible {
    let text: String
    let problem: String
    var description: String {
      "\(String(reflecting: text)) is not a duration (\(problem)); write e.g. 30s, 5m, 1h30m, 7d, 250ms or a number of seconds"
    }
  }

  /// Largest first; the milliseconds in one of each.
  static let units: [(name: String, milliseconds: Int64)] = [
    ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1_000), ("ms", 1),
  ]

  static func parse(_ text: String) throws(Error) -> Duration {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    if trimmed.hasPrefix("-") {
      throw Error(text: text, problem: "negative durations are not allowed")
    }
    if let seconds = Int64(trimmed) { return .seconds(seconds) }
    var rest = Substring(trimmed)
    guard !rest.isEmpty else { throw Error(text: text, problem: "empty") }
    var total: Int64 = 0
    var smallestUsed = units.count  // index into `units` of the last unit read
    while !rest.isEmpty {
      let digits = rest.prefix(while: \.isASCIIDigit)
      guard !digits.isEmpty, let number = Int64(digits) else {
        throw Error(text: text, problem: "expected a number at \(String(reflecting: String(rest)))")
      }
      rest = rest.dropFirst(digits.count)
      let unitText = rest.prefix(while: \.isLetter)
      rest = rest.dropFirst(unitText.count)
      guard let index = units.firstIndex(where: { $0.name == unitText }) else {
        let problem =
          unitText.isEmpty
          ? "\(number) needs a unit (d, h, m, s or ms)"
          : "unknown unit \(String(reflecting: String(unitText)))"
        throw Error(text: text, problem: problem)
      }
      guard smallestUsed == units.count || index > smallestUsed else {
        throw Error(text: text, problem: "units must go from largest to smallest, each once")
      }
      smallestUsed = index
      let (product, overflow1) = number.multipliedReportingOverflow(by: units[index].milliseconds)
      let (sum, overflow2) = total.addingReportingOverflow(product)
      guard !overflow1, !overflow2 else { throw Error(text: text, problem: "too long") }
      total = sum
    }
    return .milliseconds(total)
  }

  /// The shortest text `parse` reads back as the same duration (sub-millisecond parts dropped).
  static func format(_ duration: Duration) -> String {
    let (seconds, attoseconds) = duration.components
    var milliseconds = seconds * 1_000 + attoseconds / 1_000_000_000_000_000
    if milliseconds == 0 { return "0s" }
    var text = milliseconds < 0 ? "-" : ""
    milliseconds = abs(milliseconds)
    for unit in units where milliseconds >= unit.milliseconds {
      text += "\(milliseconds / unit.milliseconds)\(unit.name)"
      milliseconds %= unit.milliseconds
    }
    return text
  }
}

extension Character {
  fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
