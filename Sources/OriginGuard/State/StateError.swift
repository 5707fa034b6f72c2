import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A problem with the state directory.
public enum StateError: Error, Sendable, CustomStringConvertible {
  case io(operation: String, errno: Int32)
  /// Another origin-guard run holds the lock.
  case locked(path: String)
  /// A bootstrap waits for its confirmation: nothing else may change the table until it is
  /// confirmed or rolled back.
  case bootstrapWaiting(deadline: Date, path: String)
  /// A state file failed its checksum or could not be decoded; it is ignored.
  case corrupt(path: String, reason: String)

  public var description: String {
    switch self {
    case .io(let operation, let code):
      "\(operation): \(String(cString: strerror(code))). Check that the state directory exists, "
        + "is writable by origin-guard and the disk is not full."
    case .locked(let path):
      "another origin-guard run holds the lock \(path); wait for it, or use --wait to queue"
    case .bootstrapWaiting(let deadline, let path):
      "a bootstrap is waiting for its confirmation until \(deadline.formatted(.iso8601)) (\(path)); "
        + "run `origin-guard confirm` to keep its change, or let it roll back, then try again"
    case .corrupt(let path, let reason):
      "state file \(path) is corrupt (\(reason)); it is ignored and will be rewritten after the next successful sync"
    }
  }
}
