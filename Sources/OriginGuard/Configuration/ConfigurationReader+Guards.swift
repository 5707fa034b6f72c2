/// `guards:` — the limits that refuse a suspicious list.
extension ConfigurationReader {
  /// The keys `readGuards` reads, for the hint when one of them is written at the top level.
  static let guardKeys = [
    "min_entries", "max_entries", "max_shrink_percent", "min_prefix_length_v4",
    "min_prefix_length_v6",
  ]

  func readGuards(_ field: YAMLField) -> GuardSettings? {
    guard var keys = mapping(field) else { return nil }
    var guards = GuardSettings()
    let minimumField = keys.optional("min_entries")
    if let minimum = minimumField?.integer(in: 0...Int.max) { guards.minEntries = minimum }
    let maximumField = keys.optional("max_entries")
    if let maximum = maximumField?.integer(in: 1...Int.max) { guards.maxEntries = maximum }
    if let percent = keys.optional("max_shrink_percent")?.number(in: 0...100) {
      guards.maxShrinkPercent = percent
    }
    if let length = keys.optional("min_prefix_length_v4")?.integer(in: 0...32) {
      guards.minPrefixLengthV4 = length
    }
    if let length = keys.optional("min_prefix_length_v6")?.integer(in: 0...128) {
      guards.minPrefixLengthV6 = length
    }
    if guards.minEntries > guards.maxEntries {
      (maximumField ?? minimumField)?.invalid(
        "min_entries (\(guards.minEntries)) is above max_entries (\(guards.maxEntries)); every list would be refused"
      )
    }
    keys.reportUnknownKeys(context: "guards")
    return guards
  }
}
