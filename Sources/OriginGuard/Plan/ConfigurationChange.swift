/// What our own configuration changed in the table's structure since our last sync (`ports`,
/// `hook`, `drop_log`, …): the rules are replaced to match. Not drift: nobody else did it.
public struct ConfigurationChange: Sendable, Equatable, CustomStringConvertible {
  /// Each changed setting as `name old → new`.
  public var settings: [String]

  public init(settings: [String]) {
    self.settings = settings
  }

  public var description: String {
    "the configuration changed: " + settings.joined(separator: ", ")
  }
}
