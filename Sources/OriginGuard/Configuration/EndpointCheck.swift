import Foundation

/// URLs origin-guard downloads lists from or calls APIs at: HTTPS only, since a list fetched
/// over plain HTTP can be rewritten by anyone on the path and would then open the firewall.
/// Plain HTTP is allowed to the loopback address, for tests and local mirrors. The sources
/// module checks again before every fetch; checking here refuses the file before it is used.
enum EndpointCheck {
  /// Reports a problem and returns nil unless `text` is an acceptable endpoint.
  static func https(_ text: String, at field: YAMLField) -> String? {
    guard let url = URL(string: text), let scheme = url.scheme?.lowercased(),
      let host = url.host, !host.isEmpty
    else {
      field.invalid("\(String(reflecting: text)) is not an absolute URL; write https://host/path")
      return nil
    }
    switch scheme {
    case "https":
      return text
    case "http" where isLoopback(host):
      return text
    case "http":
      field.report(
        .insecureEndpoint,
        "\(text) is plain HTTP: anyone on the path could rewrite what it returns; use https:// (plain http:// is allowed only to 127.0.0.1, ::1 and localhost)"
      )
      return nil
    default:
      field.invalid("\(text): only https:// URLs are supported")
      return nil
    }
  }

  /// The ECS metadata service hands out credentials, so only its own address is accepted:
  /// `http://100.100.100.200` (plain HTTP, link-local inside the instance; it offers no TLS),
  /// or a loopback address for tests. The sources module enforces the same rule.
  static func metadataService(_ text: String, at field: YAMLField) -> String? {
    guard let url = URL(string: text), url.scheme?.lowercased() == "http", let host = url.host,
      host == "100.100.100.200" || isLoopback(host)
    else {
      field.invalid(
        "\(String(reflecting: text)) is not the ECS metadata service; use http://100.100.100.200 (or a loopback address for tests)"
      )
      return nil
    }
    return text
  }

  static func isLoopback(_ host: String) -> Bool {
    var host = host.lowercased()
    if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    return host == "127.0.0.1" || host == "::1" || host == "localhost"
  }
}
