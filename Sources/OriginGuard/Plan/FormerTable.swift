import Netfilter

/// A table an earlier sync installed under a `table:` name the configuration no longer uses.
/// It keeps filtering with a list nobody updates, so it is reported loudly, and never touched:
/// that a table of that name exists does not prove it is still ours.
public enum FormerTable {
  /// The former tables the saved state names that the kernel still holds.
  public static func stillInstalled(
    header: StateHeader?, current: String, backend: any NetfilterBackend
  ) -> [String] {
    guard let header else { return [] }
    let names = Set((header.formerTables ?? []) + [header.table]).subtracting([current])
    return names.sorted().filter {
      ((try? backend.readTableRetrying(named: $0, withElements: false)) ?? nil) != nil
    }
  }

  /// What `plan`, `sync` and `status` say while the kernel still holds it.
  public static func warning(_ name: String, current: String) -> String {
    "table inet \(name), which origin-guard installed before `table:` became \(current), is still in the kernel and still filtering with a list origin-guard no longer updates (new CDN nodes get dropped there); if it is not used for anything else, remove it: nft delete table inet \(name)"
  }
}
