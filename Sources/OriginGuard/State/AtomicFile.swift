import AddressSources
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// The state directory's files, written with `AtomicReplacement` (old or new content after a
/// crash, never a mix; never renamed over a device, FIFO or link), errors as `StateError`.
enum AtomicFile {
  static func write(
    _ data: some ContiguousBytes, to path: String, mode: mode_t = 0o600, durable: Bool = true
  )
    throws(StateError)
  {
    do {
      try AtomicReplacement.write(data, to: path, mode: mode, durable: durable)
    } catch {
      throw StateError(error)
    }
  }

  /// Makes a rename (or an unlink) durable.
  static func syncDirectory(_ path: String) {
    AtomicReplacement.syncDirectory(path)
  }

  /// Creates a directory (and parents) readable by its owner only.
  static func makeDirectory(_ path: String) throws(StateError) {
    do {
      try FileManager.default.createDirectory(
        atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    } catch {
      throw .io(operation: "create directory \(path)", errno: errno)
    }
  }
}
