import Netfilter

extension NetfilterBackend {
  /// How often a read of our table that met someone else's commit is tried again, at once. A
  /// read of 2,000 prefixes takes tens of milliseconds on a loaded machine, about the time
  /// between two commits of a neighbour committing 30 times a second (kube-proxy, Docker):
  /// with 3 attempts, `status` failed there when the machine was busy.
  public static var tableReadAttempts: Int { 10 }

  /// `readTable`, read again at once when someone committed during the read: every reader of
  /// our table (a cycle, a repair, `status`, `teardown`, a rollback) goes through here.
  public func readTableRetrying(named name: String, withElements: Bool) throws(NetfilterError)
    -> TableState?
  {
    var attempt = 1
    while true {
      do throws(NetfilterError) {
        return try readTable(named: name, withElements: withElements)
      } catch .generationChanged where attempt < Self.tableReadAttempts {
        attempt += 1
      }
    }
  }
}
