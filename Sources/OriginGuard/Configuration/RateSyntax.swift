import Foundation
import Netfilter

/// `drop_log.rate`: `10/minute`, in the units nftables' `limit rate` knows.
enum RateSyntax {
  static let periods: [(name: String, seconds: UInt64)] = [
    ("second", 1), ("minute", 60), ("hour", 3_600), ("day", 86_400), ("week", 604_800),
  ]

  /// nil when the text is not `<count>/<period>` with a count of at least 1.
  static func parse(_ text: String, burst: UInt32) -> RateLimit? {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2,
      let count = UInt64(parts[0].trimmingCharacters(in: .whitespaces)), count > 0,
      let period = periods.first(where: { $0.name == parts[1].trimmingCharacters(in: .whitespaces) }
      )
    else { return nil }
    return RateLimit(rate: count, periodSeconds: period.seconds, burst: burst)
  }

  static func format(_ limit: RateLimit) -> String {
    let period = periods.first { $0.seconds == limit.periodSeconds }
    return "\(limit.rate)/\(period?.name ?? "\(limit.periodSeconds)s")"
  }
}
