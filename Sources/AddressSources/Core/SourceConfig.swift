/// The configuration of any source: what the config loader produces and `makeSource` runs.
public enum SourceConfig: Hashable, Sendable {
  case `static`(StaticSourceConfig)
  case file(FileSourceConfig)
  case url(URLSourceConfig)
  case alibabaCDN(AlibabaCDNSourceConfig)
  case alibabaESA(AlibabaESASourceConfig)

  public var name: String {
    switch self {
    case .static(let config): config.name
    case .file(let config): config.name
    case .url(let config): config.name
    case .alibabaCDN(let config): config.name
    case .alibabaESA(let config): config.name
    }
  }

  public var kind: SourceKind {
    switch self {
    case .static: .static
    case .file: .file
    case .url: .url
    case .alibabaCDN: .alibabaCDN
    case .alibabaESA: .alibabaESA
    }
  }

  /// True when the configuration holds a secret itself (an inline AccessKey secret), so the
  /// loader can refuse a configuration file that group or others can read.
  public var containsInlineSecret: Bool {
    switch self {
    case .alibabaCDN(let config): config.credentials.containsInlineSecret
    case .alibabaESA(let config): config.credentials.containsInlineSecret
    default: false
    }
  }
}
