import Foundation

/// Where the address strings are in a JSON document: a path of object keys, each optionally
/// followed by `[]` (every element of the array) or `[field=value]` (the elements that are
/// objects whose `field` is the string `value`).
///
///     addresses                                        Fastly: {"addresses": ["..."]}
///     prefixes[].ip_prefix                             every ip_prefix of AWS's prefixes
///     prefixes[service=CLOUDFRONT_ORIGIN_FACING].ip_prefix
///     []                                               the document is an array of strings
///     result.ipv4_cidrs                                Cloudflare API: {"result": {"ipv4_cidrs": [...]}}
///
/// A selected value that is an array contributes its elements. Keys cannot contain `.`, `[`,
/// `]` or `=`. A key missing on the way is an error, not an empty result: a renamed field
/// upstream must not look like an empty list.
public struct JSONSelector: Hashable, Sendable, CustomStringConvertible {
  struct Step: Hashable, Sendable {
    /// nil for a leading `[]` on the document itself.
    var key: String?
    var expandsArray: Bool
    var filter: (field: String, value: String)?

    static func == (a: Step, b: Step) -> Bool {
      a.key == b.key && a.expandsArray == b.expandsArray && a.filter?.field == b.filter?.field
        && a.filter?.value == b.filter?.value
    }

    func hash(into hasher: inout Hasher) {
      hasher.combine(key)
      hasher.combine(expandsArray)
      hasher.combine(filter?.field)
      hasher.combine(filter?.value)
    }
  }

  public struct SyntaxError: Error, Hashable, Sendable, CustomStringConvertible {
    public let selector: String
    public let problem: String
    public var description: String {
      "invalid selector \(String(reflecting: selector)): \(problem)"
    }
  }

  public let text: String
  let steps: [Step]

  public init(_ text: String) throws(SyntaxError) {
    self.text = text
    var steps: [Step] = []
    if text.isEmpty {
      self.steps = []
      return
    }
    for (index, segment) in text.split(separator: ".", omittingEmptySubsequences: false)
      .enumerated()
    {
      guard !segment.isEmpty else { throw SyntaxError(selector: text, problem: "empty segment") }
      var key = Substring(segment)
      var step = Step(key: nil, expandsArray: false, filter: nil)
      if let open = segment.firstIndex(of: "[") {
        guard segment.last == "]" else {
          throw SyntaxError(
            selector: text, problem: "'[' must be closed by ']' at the end of the segment")
        }
        key = segment[..<open]
        let inside = segment[segment.index(after: open)..<segment.index(before: segment.endIndex)]
        step.expandsArray = true
        if !inside.isEmpty {
          let parts = inside.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
          guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw SyntaxError(selector: text, problem: "a filter reads [field=value]")
          }
          step.filter = (String(parts[0]), String(parts[1]))
        }
      }
      if key.contains(where: { "[]=".contains($0) }) {
        throw SyntaxError(
          selector: text,
          problem: "unexpected '[', ']' or '=' in key \(String(reflecting: String(key)))")
      }
      if key.isEmpty && !(index == 0 && step.expandsArray) {
        throw SyntaxError(selector: text, problem: "empty key")
      }
      step.key = key.isEmpty ? nil : String(key)
      steps.append(step)
    }
    self.steps = steps
  }

  public var description: String { text }

  /// The selected values, each either a string or something else (reported as invalid).
  func select(in document: Any) throws(SelectionError) -> [Any] {
    var current: [Any] = [document]
    var path = ""
    for step in steps {
      if let key = step.key {
        path += path.isEmpty ? key : "." + key
        current = try current.map { value throws(SelectionError) in
          guard let object = value as? [String: Any] else {
            throw SelectionError(path: path, problem: "not an object")
          }
          guard let child = object[key] else {
            throw SelectionError(path: path, problem: "missing")
          }
          return child
        }
      }
      if step.expandsArray {
        path += "[]"
        var expanded: [Any] = []
        for value in current {
          guard let array = value as? [Any] else {
            throw SelectionError(path: path, problem: "not an array")
          }
          if let filter = step.filter {
            expanded += array.filter { element in
              guard let object = element as? [String: Any] else { return false }
              return (object[filter.field] as? String) == filter.value
            }
          } else {
            expanded += array
          }
        }
        current = expanded
      }
    }
    // A selected array stands for its elements (`addresses` is an array of strings).
    return current.flatMap { value -> [Any] in (value as? [Any]) ?? [value] }
  }

  struct SelectionError: Error {
    let path: String
    let problem: String
  }
}
