/// Configuration of a `static` source: prefixes written into the configuration, such as the
/// range a load balancer health-checks from (`100.64.0.0/10` for a legacy Alibaba ALB).
public struct StaticSourceConfig: Hashable, Sendable {
  public var name: String
  /// `addresses`: addresses or prefixes, any standard notation.
  public var prefixes: [String]
  public var policy: EntryPolicy

  public init(name: String, prefixes: [String], policy: EntryPolicy = EntryPolicy()) {
    self.name = name
    self.prefixes = prefixes
    self.policy = policy
  }
}

/// Parses its configured prefixes on every fetch; fails like any other source on a bad one.
public struct StaticSource: AddressSource {
  public let config: StaticSourceConfig
  private let context: SourceContext

  public init(config: StaticSourceConfig, context: SourceContext) {
    self.config = config
    self.context = context
  }

  public var name: String { config.name }

  public func fetch() async throws(SourceError) -> SourceResult {
    try config.policy.validate(source: name)
    var collector = EntryCollector(source: name, policy: config.policy)
    for text in config.prefixes {
      try collector.add(text, origin: .configuration)
    }
    try collector.requireEntries(since: 0, origin: nil)
    collector.log(to: context.logger)
    return SourceResult(
      source: name, kind: .static, entries: collector.entries, skipped: collector.skipped,
      fetchedAt: context.clock.now(),
      version: SourceVersion(checksum: SourceVersion.checksum(of: collector.entries)))
  }
}
