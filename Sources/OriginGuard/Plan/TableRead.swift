import Netfilter

extension NetfilterBackend {
  /// How often a read of our table that met someone else's commit is tried again, at once: a
  /// read takes milliseconds, and kube-proxy or Docker commit a few times a second.
  public static var tableReadAttempts: Int { 3 }

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
