import AddressSources
import Foundation
import Netfilter

/// Everything `config.yaml` says, with every default filled in. Built by `ConfigurationLoader`;
/// the rest of the program never sees YAML.
public struct Configuration: Sendable {
  /// What to put in the kernel: table, set and chain names, ports, protocols, hook, priority,
  /// the established/related rule, drop logging.
  public var ruleset: GuardRuleset
  /// Where the allow-list comes from; at least one.
  public var sources: [SourceConfig]
  public var guards: GuardSettings
  /// `max_stale`: how old a source's last-known-good list may be and still stand in for it
  /// when the source fails.
  public var maxStale: Duration
  /// `retain_removed` of the sources that set it, by source name; the others use
  /// `SourceKind.defaultRetainRemoved`.
  public var retainRemoved: [String: Duration] = [:]
  /// `state_dir`: last-known-good lists, the lock, HTTP validators.
  public var stateDirectory: String
  /// `metrics_file`: Prometheus text for node_exporter's textfile collector; nil writes none.
  public var metricsFile: String?
  /// `interval` and `jitter` of `origin-guard run`.
  public var interval: Duration
  public var jitter: Duration
  public var logLevel: LogLevel
  public var logFormat: LogFormat
  /// `outputs:`: files rewritten from the list after every successful sync that changes them.
  public var outputs: [OutputConfig] = []
  /// The file it was read from, for messages.
  public var path: String

  public init(
    ruleset: GuardRuleset = GuardRuleset(), sources: [SourceConfig],
    guards: GuardSettings = GuardSettings(),
    maxStale: Duration = .seconds(7 * 86_400), stateDirectory: String = "/var/lib/origin-guard",
    metricsFile: String? = nil, interval: Duration = .seconds(300), jitter: Duration = .seconds(30),
    logLevel: LogLevel = .info, logFormat: LogFormat = .text,
    path: String = Configuration.defaultPath
  ) {
    self.ruleset = ruleset
    self.sources = sources
    self.guards = guards
    self.maxStale = maxStale
    self.stateDirectory = stateDirectory
    self.metricsFile = metricsFile
    self.interval = interval
    self.jitter = jitter
    self.logLevel = logLevel
    self.logFormat = logFormat
    self.path = path
  }

  public static let defaultPath = "/etc/origin-guard/config.yaml"

  /// How long a prefix `source` stops listing stays allowed.
  public func retainRemoved(for source: SourceConfig) -> Duration {
    retainRemoved[source.name] ?? source.kind.defaultRetainRemoved
  }
}

extension SourceKind {
  /// An API may drop a node while the CDN still sends from it, or answer with part of its
  /// list for a while: keep what it drops for a day. A file or static list changes when the
  /// operator edits it, and the edit is the intent.
  public var defaultRetainRemoved: Duration {
    switch self {
    case .alibabaCDN, .alibabaESA, .url: .seconds(86_400)
    case .file, .static: .zero
    }
  }
}

/// `log_level`.
public enum LogLevel: String, Sendable, CaseIterable {
  case trace, debug, info, notice, warning, error, critical
}

/// `log_format`: `text` for people and journald, `json` (one object per line) for collectors.
public enum LogFormat: String, Sendable, CaseIterable {
  case text, json
}

/// `guards:` — the checks that refuse a suspicious list and change nothing.
public struct GuardSettings: Hashable, Sendable {
  /// `min_entries`: fewer prefixes than this in the merged list is refused.
  public var minEntries: Int
  /// `max_entries`: more prefixes than this is refused (a list that grew ×100 is not a CDN).
  public var maxEntries: Int
  /// `max_shrink_percent`: removing more than this share of the addresses in the kernel, in
  /// either family, is refused (`--force` overrides).
  public var maxShrinkPercent: Double
  /// `min_prefix_length_v4` / `_v6`: a merged prefix broader than this is refused. `/0` is
  /// refused whatever these say.
  public var minPrefixLengthV4: Int
  public var minPrefixLengthV6: Int

  public init(
    minEntries: Int = 1, maxEntries: Int = 1_000_000, maxShrinkPercent: Double = 30,
    minPrefixLengthV4: Int = 8, minPrefixLengthV6: Int = 32
  ) {
    self.minEntries = minEntries
    self.maxEntries = maxEntries
    self.maxShrinkPercent = maxShrinkPercent
    self.minPrefixLengthV4 = minPrefixLengthV4
    self.minPrefixLengthV6 = minPrefixLengthV6
  }
}
