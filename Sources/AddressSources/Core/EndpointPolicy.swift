import AddressSet
import Foundation

/// Which URLs origin-guard talks to: HTTPS only, because a list fetched over plain HTTP can be
/// rewritten by anyone on the path. Plain HTTP is allowed to the loopback address alone, for
/// tests and local mirrors.
enum EndpointPolicy {
  static func validate(_ text: String, source: String) throws(SourceError) -> URL {
    guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), let host = url.host,
      !host.isEmpty
    else {
      throw .invalidConfiguration(
        source: source, problem: "\(MessageLimit.quote(text)) is not an absolute URL")
    }
    switch scheme {
    case "https": return url
    case "http" where isLoopback(host): return url
    case "http": throw .insecureURL(source: source, url: text)
    default:
      throw .invalidConfiguration(
        source: source, problem: "\(text): only https:// URLs are supported")
    }
  }

  static func isLoopback(_ host: String) -> Bool {
    var host = host.lowercased()
    if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    return host == "127.0.0.1" || host == "::1" || host == "localhost"
  }
}
