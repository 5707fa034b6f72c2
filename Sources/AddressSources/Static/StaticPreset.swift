/// Ranges a provider documents as fixed instead of publishing a list to download.
public enum StaticPreset: String, Hashable, Sendable, CaseIterable, Codable {
  /// Google Cloud load balancing and Cloud CDN: the health-check ranges, which are also the
  /// Google Front End proxy ranges for instance-group, zonal NEG and hybrid NEG backends
  /// (cloud.google.com/load-balancing/docs/firewall-rules). Internet NEG backends are reached
  /// from other addresses, published in DNS; this preset does not cover them.
  case googleCloudLoadBalancing = "google-cloud-load-balancing"

  public var prefixes: [String] {
    switch self {
    case .googleCloudLoadBalancing:
      ["35.191.0.0/16", "130.211.0.0/22", "2600:2d00:1:b029::/64", "2600:2d00:1:1::/64"]
    }
  }
}
