import AddressSources

/// Which keys a source entry may have, by type. The readers ask for exactly these; the catalog
/// exists so that a key of another type gets "it belongs to alibaba-cdn sources" instead of a
/// guess, and so that a source with a bad `type` is not also buried in unknown-key reports.
enum SourceKeyCatalog {
  static let common = [
    "name", "type", "on_invalid_entry", "min_prefix_length_v4", "min_prefix_length_v6",
    "retain_removed",
  ]
  static let http = [
    "connect_timeout", "timeout", "max_body_bytes", "retry_max_attempts", "retry_initial_delay",
    "retry_max_delay", "retry_max_total",
  ]
  static let credentials = [
    "credentials_file", "credentials_profile", "access_key_id", "access_key_secret",
    "security_token", "use_environment", "use_cli_profile", "cli_profile", "use_credentials_ini",
    "use_ecs_ram_role", "ecs_role_name", "metadata_endpoint", "use_oidc", "use_credentials_uri",
    "role_arn", "role_session_name", "external_id", "role_duration", "role_policy", "sts_endpoint",
  ]

  static func keys(of kind: SourceKind) -> [String] {
    switch kind {
    case .static: common + ["addresses", "preset"]
    case .file: common + ["path"]
    case .url: common + ["preset", "area", "url", "format", "select", "urls"] + http
    case .alibabaCDN:
      common + ["domains", "endpoint", "concurrency", "max_calls_per_second"] + credentials + http
    case .alibabaESA:
      common + ["site_ids", "region", "endpoint", "list", "confirm_after", "max_calls_per_second"]
        + credentials + http
    }
  }

  static var allKeys: [String] {
    var keys: [String] = []
    for kind in SourceKind.allCases {
      keys += self.keys(of: kind).filter { !keys.contains($0) }
    }
    return keys
  }

  /// Keys of other types → "alibaba-cdn and alibaba-esa sources".
  static func homes(excluding kind: SourceKind?) -> [String: String] {
    var kinds: [String: [SourceKind]] = [:]
    for other in SourceKind.allCases where other != kind {
      for key in keys(of: other) { kinds[key, default: []].append(other) }
    }
    return kinds.mapValues { YAMLField.list($0.map(\.rawValue)) + " sources" }
  }
}
