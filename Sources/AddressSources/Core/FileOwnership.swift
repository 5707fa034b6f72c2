#if canImport(Glibc)
  import Glibc
#endif

/// The owner and group a written file gets, resolved from names once when the configuration
/// is read.
public struct FileOwnership: Sendable, Hashable {
  public var uid: uid_t
  public var gid: gid_t

  public init(uid: uid_t, gid: gid_t) {
    self.uid = uid
    self.gid = gid
  }
}
