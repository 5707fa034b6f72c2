import Foundation

/// Where inside a source a prefix came from: what an operator needs to trace an address back.
public enum Origin: Hashable, Sendable, CustomStringConvertible, Codable {
  /// Listed in the configuration itself (a `static` source).
  case configuration
  /// A line of a local file (for a JSON array file, the line of the string literal).
  case file(path: String, line: Int)
  /// A downloaded document; `line` for text lists, nil for JSON.
  case url(String, line: Int?)
  /// One Alibaba Cloud CDN accelerated domain (`DescribeL2VipsByDomain`).
  case cdnDomain(String)
  /// One Alibaba Cloud ESA site and the list read from it (`CurrentIPWhitelist`).
  case esaSite(siteID: String, list: String)
  /// No longer listed by the source since `removedAt`, still allowed until `until`
  /// (`retain_removed`): the source may not have stopped using it yet.
  case retained(removedAt: Date, until: Date)

  public var description: String {
    switch self {
    case .configuration: "configuration"
    case .file(let path, let line): "file \(path) line \(line)"
    case .url(let url, let line?): "URL \(url) line \(line)"
    case .url(let url, nil): "URL \(url)"
    case .cdnDomain(let domain): "domain \(domain)"
    case .esaSite(let site, let list): "ESA site \(site) (\(list))"
    case .retained(let removedAt, let until):
      "kept until \(until.formatted(.iso8601)) (removed by the source at \(removedAt.formatted(.iso8601)))"
    }
  }
}

/// A source name with the place inside it, e.g. "source cdn, domain www.example.com".
public struct Provenance: Hashable, Sendable, CustomStringConvertible, Codable {
  public let source: String
  public let origin: Origin

  public init(source: String, origin: Origin) {
    self.source = source
    self.origin = origin
  }

  public var description: String { "source \(source), \(origin)" }
}
