import Yams

/// A value in the document together with where it is — key path and line — and where its
/// problems go. The typed accessors report a problem and return nil for a value that does not
/// fit, so the caller can go on reading the rest of the file.
struct YAMLField {
  let node: Node
  /// Such as `sources[1].domains`.
  let keyPath: String
  let problems: ProblemList

  var line: Int? { node.mark?.line }

  func child(_ node: Node, key: String) -> YAMLField {
    YAMLField(node: node, keyPath: keyPath.isEmpty ? key : "\(keyPath).\(key)", problems: problems)
  }

  func element(_ node: Node, index: Int) -> YAMLField {
    YAMLField(node: node, keyPath: "\(keyPath)[\(index)]", problems: problems)
  }

  func report(_ kind: ConfigurationProblem.Kind, _ message: String) {
    problems.add(kind, line: line, keyPath: keyPath, message)
  }

  func wrongType(expected: String) {
    report(.wrongType, "expected \(expected), found \(node.foundDescription)")
  }

  func invalid(_ message: String) {
    report(.invalidValue, message)
  }

  private var scalar: YAMLScalar? { node.scalar.map(YAMLScalar.init) }

  /// Any scalar but null, as written: `name: 2024` is the name "2024", `table: no` is "no".
  func string(expected: String = "a string") -> String? {
    guard let scalar = node.scalar, YAMLScalar(scalar) != .null else {
      wrongType(expected: expected)
      return nil
    }
    guard !scalar.string.isEmpty else {
      invalid("must not be empty")
      return nil
    }
    return scalar.string
  }

  func bool() -> Bool? {
    guard case .bool(let value) = scalar else {
      wrongType(expected: "true or false")
      return nil
    }
    return value
  }

  func integer(in range: ClosedRange<Int>) -> Int? {
    guard case .integer(let value) = scalar else {
      wrongType(expected: "an integer")
      return nil
    }
    guard range.contains(value) else {
      invalid("\(value) is out of range; use \(Self.describe(range))")
      return nil
    }
    return value
  }

  func number(in range: ClosedRange<Double>) -> Double? {
    let value: Double
    switch scalar {
    case .integer(let integer): value = Double(integer)
    case .float(let float): value = float
    default:
      wrongType(expected: "a number")
      return nil
    }
    guard range.contains(value) else {
      let bounds = "\(Self.describe(range.lowerBound))…\(Self.describe(range.upperBound))"
      invalid("\(node.scalar?.string ?? "") is out of range; use \(bounds)")
      return nil
    }
    return value
  }

  /// `30s`, `5m`, `1h30m`, `7d`, `250ms`, or a number of seconds.
  func duration(atLeast minimum: Duration = .zero) -> Duration? {
    let duration: Duration
    switch scalar {
    case .integer(let seconds) where seconds >= 0:
      duration = .seconds(seconds)
    case .integer, .string, .float:
      let text = node.scalar?.string ?? ""
      do {
        duration = try DurationSyntax.parse(text)
      } catch {
        invalid(error.description)
        return nil
      }
    default:
      wrongType(expected: "a duration such as 30s, 5m, 1h30m or 7d")
      return nil
    }
    guard duration >= minimum else {
      invalid(
        minimum == .zero
          ? "must not be negative"
          : "\(DurationSyntax.format(duration)) is too short; use at least \(DurationSyntax.format(minimum))"
      )
      return nil
    }
    return duration
  }

  /// One of the raw values of `T`, such as `input` for `GuardRuleset.HookMode`.
  func choice<T: RawRepresentable & CaseIterable>(_ type: T.Type, what: String) -> T?
  where T.RawValue == String {
    let values = T.allCases.map(\.rawValue)
    let expected = "one of " + values.joined(separator: ", ")
    guard let text = string(expected: expected) else { return nil }
    guard let value = T(rawValue: text) else {
      var message = "\(String(reflecting: text)) is not \(what); use \(Self.list(values))"
      if let suggestion = KeySuggestion.closest(to: text, among: values) {
        message += " (did you mean \(String(reflecting: suggestion))?)"
      }
      invalid(message)
      return nil
    }
    return value
  }

  /// The elements, each with its own key path; nil (and a problem) for anything but a list.
  func list(of elements: String) -> [YAMLField]? {
    guard case .sequence(let sequence) = node else {
      wrongType(expected: "a list of \(elements)")
      return nil
    }
    return sequence.enumerated().map { element($1, index: $0) }
  }

  /// A list of strings; elements that are not strings are reported and left out.
  func stringList(nonEmpty: Bool) -> [(text: String, field: YAMLField)]? {
    guard let elements = list(of: "strings") else { return nil }
    if nonEmpty && elements.isEmpty {
      invalid("must not be empty")
      return nil
    }
    return elements.compactMap { element in element.string().map { ($0, element) } }
  }

  static func describe(_ range: ClosedRange<Int>) -> String {
    range.upperBound == Int.max
      ? "at least \(range.lowerBound)" : "\(range.lowerBound)…\(range.upperBound)"
  }

  static func describe(_ number: Double) -> String {
    number.rounded() == number ? String(Int(number)) : String(number)
  }

  /// `a, b or c`.
  static func list(_ values: [String]) -> String {
    guard values.count > 1 else { return values.first ?? "" }
    return values.dropLast().joined(separator: ", ") + " or " + values[values.count - 1]
  }
}
