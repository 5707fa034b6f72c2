import Yams

/// What a YAML scalar is, by the YAML 1.2 core schema: `yes`, `on` and `0777` stay strings, so
/// what an operator typed is what is checked.
enum YAMLScalar: Equatable {
  case null
  case bool(Bool)
  case integer(Int)
  case float(Double)
  case string(String)

  init(_ scalar: Node.Scalar) {
    let text = scalar.string
    // Quoted, block and explicitly tagged (`!!str 80`) scalars are strings.
    guard scalar.style == .plain || scalar.style == .any, scalar.tag.rawValue.isEmpty else {
      self = .string(text)
      return
    }
    switch text {
    case "", "~", "null", "Null", "NULL": self = .null
    case "true", "True", "TRUE": self = .bool(true)
    case "false", "False", "FALSE": self = .bool(false)
    default:
      if let integer = Int(text.hasPrefix("+") ? String(text.dropFirst()) : text) {
        self = .integer(integer)
      } else if text.contains(where: \.isNumber),
        text.allSatisfy({ "0123456789+-.eE".contains($0) }),
        let float = Double(text)
      {
        self = .float(float)
      } else {
        self = .string(text)
      }
    }
  }
}

extension Node {
  /// For "expected …, found <this>".
  var foundDescription: String {
    switch self {
    case .mapping: return "a mapping"
    case .sequence: return "a list"
    case .alias: return "an alias"
    case .scalar(let scalar):
      switch YAMLScalar(scalar) {
      case .null: return "nothing (null)"
      case .bool(let value): return "the boolean \(value)"
      case .integer(let value): return "the number \(value)"
      case .float: return "the number \(scalar.string)"
      case .string(let text): return "the string \(String(reflecting: text))"
      }
    }
  }
}
