/// The two address families origin-guard keeps apart: every set, plan and kernel object is per family.
public enum AddressFamily: String, Sendable, Hashable, CaseIterable, Codable,
  CustomStringConvertible
{
  case ipv4
  case ipv6

  public var description: String { rawValue }
}
