import AddressSet

extension AddressRange {
  /// How errors name a range: as its prefix when it is exactly one (`10.0.0.0/24`), else as
  /// `first-last`, the way `nft` writes ranges.
  var elementDescription: String {
    let prefixes = self.prefixes
    return prefixes.count == 1 ? prefixes[0].description : "\(first)-\(last)"
  }
}
