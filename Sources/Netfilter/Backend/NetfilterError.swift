/// Why a read or a batch failed, with what an operator can do about it.
///
/// `operation` names what failed ("add 3 range(s) to set origin_guard allowed_v4"), `element`
/// the interval element the kernel pointed at, when it did.
public enum NetfilterError: Error, Hashable, Sendable, CustomStringConvertible {
  /// EPERM: not root and no CAP_NET_ADMIN.
  case permissionDenied(operation: String)
  /// The kernel has no nf_tables (EPROTONOSUPPORT, or ENOENT/EAFNOSUPPORT for the inet family).
  case nfTablesUnavailable(detail: String)
  /// EBUSY: the object is in use, typically a set or chain something else refers to.
  case busy(operation: String)
  /// The ruleset changed since the expected generation (ERESTART), or kept changing while it
  /// was being read. Re-read the state and try again.
  case generationChanged(expected: UInt32?)
  /// EEXIST on elements: a range overlaps one the set holds or another in the batch.
  case elementExists(operation: String, element: String?)
  /// ENOENT on elements: a range to delete is not stored exactly like that.
  case elementMissing(operation: String, element: String?)
  /// EEXIST on a table, set or chain.
  case objectExists(operation: String)
  /// ENOENT on a table, set or chain (including the set or chain a rule refers to).
  case objectMissing(operation: String)
  /// EMSGSIZE/ENOBUFS: a message or the batch did not fit a netlink buffer.
  case messageTooLarge(operation: String)
  /// The kernel's answer was lost (ENOBUFS on the receive side): the batch may or may not have
  /// been committed.
  case outcomeUnknown(detail: String)
  /// The network namespace could not be entered.
  case namespaceUnavailable(path: String, errno: Int32)
  /// Any other error the kernel returned.
  case kernel(operation: String, errno: Int32)
  /// The kernel answered something this code does not understand.
  case malformedReply(String)

  public var description: String {
    switch self {
    case .permissionDenied(let operation):
      "\(operation): permission denied. Run as root or grant CAP_NET_ADMIN (systemd: AmbientCapabilities=CAP_NET_ADMIN)."
    case .nfTablesUnavailable(let detail):
      "nf_tables is not available (\(detail)). Load the kernel module (modprobe nf_tables) or use a kernel with CONFIG_NF_TABLES and CONFIG_NF_TABLES_INET."
    case .busy(let operation):
      "\(operation): resource busy. Another rule or table refers to it; check `nft list ruleset`."
    case .generationChanged(let expected):
      "the nftables ruleset was changed by someone else"
        + (expected.map { " since generation \($0)" } ?? "") + ". Re-read the state and retry."
    case .elementExists(let operation, let element):
      "\(operation): \(element ?? "an element") overlaps a range the set holds or another range of the batch. "
        + "Merge overlapping and touching ranges before adding; if the set changed underneath, re-read it and retry."
    case .elementMissing(let operation, let element):
      "\(operation): \(element ?? "an element") is not stored in the set exactly like that "
        + "(a range is removed by its stored start and end). The set changed underneath: re-read it and retry."
    case .objectExists(let operation):
      "\(operation): already exists with a different definition. Recreate the table."
    case .objectMissing(let operation):
      "\(operation): no such table, set or chain. Recreate the table."
    case .messageTooLarge(let operation):
      "\(operation): the netlink message or batch is too large for the socket buffer."
    case .outcomeUnknown(let detail):
      "the kernel's answer was lost (\(detail)); the batch may or may not have been applied. Re-read the state."
    case .namespaceUnavailable(let path, let errno):
      "cannot enter network namespace \(path): \(errnoName(errno)). Check that it exists (ip netns list)."
    case .kernel(let operation, let errno):
      "\(operation): \(errnoName(errno))"
    case .malformedReply(let detail):
      "unexpected netlink reply: \(detail)"
    }
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

func errnoName(_ code: Int32) -> String {
  "\(String(cString: strerror(code))) (errno \(code))"
}
