import AddressSet

extension GuardRuleset {
  /// Creates the table, or replaces whatever table of that name exists (repairing any drift),
  /// and loads the allow-list: one atomic batch.
  public func installTransaction(allowing addresses: DualStackSet) -> Transaction {
    var transaction = Transaction()
    transaction.recreate(table)
    transaction.addElements(addresses.v4.ranges, set: ipv4SetName, table: tableName)
    transaction.addElements(addresses.v6.ranges, set: ipv6SetName, table: tableName)
    return transaction
  }

  /// Changes the sets from what they hold to what they should hold.
  public func updateTransaction(v4: IntervalDiff<IPv4Address>, v6: IntervalDiff<IPv6Address>)
    -> Transaction
  {
    var transaction = Transaction()
    transaction.apply(v4, set: ipv4SetName, table: tableName)
    transaction.apply(v6, set: ipv6SetName, table: tableName)
    return transaction
  }

  /// Removes everything origin-guard put in the kernel.
  public func uninstallTransaction() -> Transaction {
    var transaction = Transaction()
    transaction.addTable(tableName)
    transaction.deleteTable(tableName)
    return transaction
  }
}
