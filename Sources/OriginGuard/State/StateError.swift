import AddressSources
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
  /// A file or directory origin-guard would read, write or delete is not what origin-guard
  /// wrote, or someone else could have written it (`LocalFileError`); nothing was used.
  case unsafe(LocalFileError)
  /// `teardown --purge-state` found files origin-guard does not write; nothing was removed.
  case unknownFiles(directory: String, names: [String], total: Int)

  init(_ error: LocalFileError) {
    switch error {
    case .io(let operation, let code): self = .io(operation: operation, errno: code)
    default: self = .unsafe(error)
    }
  }

  /// True when the failure was the disk (or the quota) being full.
  public var isNoSpace: Bool {
    if case .io(_, let code) = self { return code == ENOSPC || code == EDQUOT }
    return false
  }

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
    case .unsafe(let error):
      error.description
    case .unknownFiles(let directory, let names, let total):
      "\(directory) holds \(total) file(s) origin-guard did not write ("
        + names.map { String(reflecting: $0) }.joined(separator: ", ")
        + (total > names.count ? ", and \(total - names.count) more" : "")
        + "); nothing was removed. Move them out of the state directory and run the command again, "
        + "or give origin-guard a state_dir of its own."
    }
  }
}
