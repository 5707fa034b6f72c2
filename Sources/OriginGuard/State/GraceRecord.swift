import AddressSet
import Foundation

/// `grace.json`: what each source stopped listing and since when (`RemovalGrace`). Written
/// before the header of the same sync, so a crash in between leaves removals recorded early
/// rather than forgotten: the next sync finds them again and keeps their first time.
struct GraceRecord: Codable, Equatable {
  static let currentFormat = 1

  struct Removal: Codable, Equatable {
    var removedAt: Date
    /// Canonical prefixes, IPv4 first.
    var prefixes: [String]

    enum CodingKeys: String, CodingKey {
      case removedAt = "removed_at"
      case prefixes
    }
  }

  var format: Int
  /// By source name, oldest removal first.
  var sources: [String: [Removal]]

  init(_ grace: RemovalGrace) {
    format = Self.currentFormat
    sources = grace.sources.mapValues { removals in
      removals.map {
        Removal(removedAt: $0.removedAt, prefixes: $0.set.prefixes.map(\.description))
      }
    }
  }

  /// The grace state it records; throws the reason when anything in it is not what
  /// origin-guard writes.
  func grace(path: String) throws(StateError) -> RemovalGrace {
    guard format == Self.currentFormat else {
      throw .corrupt(path: path, reason: "unknown format \(format)")
    }
    var result: [String: [RetainedRemoval]] = [:]
    for (source, removals) in sources {
      var parsed: [RetainedRemoval] = []
      for removal in removals {
        var prefixes: [AnyIPPrefix] = []
        for text in removal.prefixes {
          guard let prefix = try? PrefixParser.parse(text), prefix.notes.isEmpty else {
            throw .corrupt(
              path: path,
              reason: "source \(source): \(MessageLimit.quote(text)) is not a canonical prefix")
          }
          prefixes.append(prefix.prefix)
        }
        parsed.append(
          RetainedRemoval(set: DualStackSet(prefixes: prefixes), removedAt: removal.removedAt))
      }
      result[source] = parsed
    }
    return RemovalGrace(sources: result)
  }
}
