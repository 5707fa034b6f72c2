/// A rule: expressions run in order until one ends the rule or a verdict decides.
public struct Rule: Hashable, Sendable, Codable, CustomStringConvertible {
  public var expressions: [Expression]
  /// The values of the rule's `counter`, when read from the kernel. They change with every
  /// packet, so they are not part of what the rule is: equality ignores them.
  public var counter: Counter?

  public init(_ expressions: [Expression], counter: Counter? = nil) {
    self.expressions = expressions
    self.counter = counter
  }

  public static func == (lhs: Rule, rhs: Rule) -> Bool { lhs.expressions == rhs.expressions }
  public func hash(into hasher: inout Hasher) { hasher.combine(expressions) }

  public var description: String { expressionDescriptions.joined(separator: " ") }
}

/// Packets and bytes a `counter` expression has seen.
public struct Counter: Hashable, Sendable, Codable, CustomStringConvertible {
  public var packets: UInt64
  public var bytes: UInt64

  public init(packets: UInt64, bytes: UInt64) {
    self.packets = packets
    self.bytes = bytes
  }

  public var description: String { "packets \(packets) bytes \(bytes)" }
}
