/// The forms the allow-list is written in, by `export` and by `outputs:`.
public enum ListFormat: String, Sendable, Hashable, CaseIterable {
  /// `set_real_ip_from` lines: nginx takes the client address from `real_ip_header` only on
  /// connections from these addresses.
  case nginxRealIP = "nginx-realip"
  /// `allow` lines and `deny all;`.
  case nginxAllow = "nginx-allow"
  /// `RemoteIPTrustedProxy` lines for Apache's mod_remoteip.
  case apacheRemoteIP = "apache-remoteip"
  /// `Require ip` lines for Apache's mod_authz_host.
  case apacheRequire = "apache-require"
  /// An `nft -f` script that declares our table's two sets with the list.
  case nft
  /// The prefixes with their provenance; what a fleet's `url` sources read.
  case json
  /// One prefix per line: what a `file` source reads.
  case text
}
