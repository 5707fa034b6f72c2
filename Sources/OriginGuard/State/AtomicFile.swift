import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Writes files so that a reader, or the next run after a crash or `kill -9`, sees either the
/// old content or the new one, never a mix: temp file in the same directory, fsync, rename,
/// fsync of the directory.
enum AtomicFile {
  /// - Parameter durable: false skips both fsyncs, for files rewritten after every cycle
  ///   whose loss in a power cut costs nothing (the run record, metrics): the rename still
  ///   keeps readers from seeing half a file, and a sync no longer waits for the disk twice
  ///   more per file.
  static func write(
    _ data: some ContiguousBytes, to path: String, mode: mode_t = 0o600, durable: Bool = true
  )
    throws(StateError)
  {
    let directory = (path as NSString).deletingLastPathComponent
    let temporary = "\(path).tmp-\(getpid())"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
    guard fd >= 0 else { throw .io(operation: "create \(temporary)", errno: errno) }
    var ok = data.withUnsafeBytes { buffer -> Bool in
      var offset = 0
      while offset < buffer.count {
        let written = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
        if written < 0 {
          if errno == EINTR { continue }
          return false
        }
        offset += written
      }
      return true
    }
    let writeErrno = errno
    ok = ok && fchmod(fd, mode) == 0 && (!durable || fsync(fd) == 0)
    close(fd)
    guard ok else {
      unlink(temporary)
      throw .io(operation: "write \(temporary)", errno: writeErrno)
    }
    guard rename(temporary, path) == 0 else {
      let renameErrno = errno
      unlink(temporary)
      throw .io(operation: "rename \(temporary) to \(path)", errno: renameErrno)
    }
    if durable { syncDirectory(directory) }
  }

  /// Makes a rename durable.
  static func syncDirectory(_ path: String) {
    let fd = open(path.isEmpty ? "." : path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else { return }
    fsync(fd)
    close(fd)
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
