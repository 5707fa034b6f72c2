/// One step of a rule, as the kernel runs it.
///
/// Loads write register 1 and comparisons, lookups and bitwise operations work on register 1:
/// that is what `nft` produces for every rule origin-guard writes, so a rule read back from the
/// kernel compares equal to the intended one exactly when the kernel runs the same steps.
/// Anything else decodes as `.unrecognized`, which never equals an intended expression.
public enum Expression: Hashable, Sendable, Codable {
  /// Loads packet metadata (protocol numbers, interface names).
  case meta(MetaKey)
  /// Loads `length` bytes at `offset` of a packet header.
  case payload(PayloadBase, offset: UInt32, length: UInt32)
  /// Loads connection-tracking data.
  case conntrack(ConntrackKey)
  /// Loads the result of a routing lookup.
  case fib(FibQuery)
  /// `register = (register & mask) ^ xor`; both in the byte order of the loaded value.
  case bitwise(mask: [UInt8], xor: [UInt8])
  /// Ends the rule unless the register compares true with `data`.
  case compare(CompareOperator, data: [UInt8])
  /// Ends the rule unless the register is an element of the set.
  case lookup(SetReference)
  /// Counts packets and bytes; the values live in `Rule.counter`, not here.
  case counter
  /// Ends the rule when the rate is exceeded.
  case limit(RateLimit)
  /// Logs the packet to the kernel log.
  case log(prefix: String)
  /// Decides the packet's fate.
  case verdict(Verdict)
  /// An expression origin-guard does not write; `summary` says what the kernel reported.
  case unrecognized(summary: String)
}

/// A set a `lookup` reads: one of the table's named sets, or an anonymous constant set that
/// belongs to the rule (`{ 80, 443 }`), identified by its contents since its name is made up by
/// the kernel.
public enum SetReference: Hashable, Sendable, Codable {
  case named(String)
  case anonymous(keyType: SetKeyType, keys: [[UInt8]])

  /// An anonymous set with its keys in a canonical order, so equal contents compare equal.
  public static func constant(keyType: SetKeyType, keys: [[UInt8]]) -> SetReference {
    .anonymous(keyType: keyType, keys: keys.sorted { $0.lexicographicallyPrecedes($1) })
  }
}

/// A rate limit: `limit rate 10/minute` (burst 5 is what `nft` uses when none is given).
public struct RateLimit: Hashable, Sendable, Codable {
  public var rate: UInt64
  /// The period the rate is counted over, in seconds (60 for "per minute").
  public var periodSeconds: UInt64
  public var burst: UInt32
  /// Counts bytes instead of packets.
  public var countsBytes: Bool
  /// `limit rate over`: matches when the rate is exceeded instead of while it is not.
  public var inverted: Bool

  public init(
    rate: UInt64, periodSeconds: UInt64, burst: UInt32 = 5, countsBytes: Bool = false,
    inverted: Bool = false
  ) {
    self.rate = rate
    self.periodSeconds = periodSeconds
    self.burst = burst
    self.countsBytes = countsBytes
    self.inverted = inverted
  }
}
