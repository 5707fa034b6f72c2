import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Writes a file so that a reader, or the next run after a crash or `kill -9`, sees either the
/// old content or the new one, never a mix: temp file in the same directory, fsync, rename,
/// fsync of the directory.
///
/// The rename replaces whatever is at the path, so anything but a regular file there is
/// refused: renaming over `/dev/null`, a FIFO a collector reads or a symbolic link would
/// destroy it rather than write through it.
public enum AtomicReplacement {
  /// - Parameter durable: false skips both fsyncs, for files rewritten after every cycle
  ///   whose loss in a power cut costs nothing (the run record, metrics): the rename still
  ///   keeps readers from seeing half a file.
  public static func write(
    _ data: some ContiguousBytes, to path: String, mode: mode_t = 0o600, durable: Bool = true
  ) throws(LocalFileError) {
    let temporary = try writeTemporary(data, for: path, mode: mode, durable: durable)
    try replace(path, with: temporary, durable: durable)
  }

  /// The first half of `write`: the content in `<path>.tmp-<pid>`, complete (and with
  /// `durable` on disk), for a caller that must do something between writing and renaming.
  /// `owner` is set on it before it can be renamed into place.
  public static func writeTemporary(
    _ data: some ContiguousBytes, for path: String, mode: mode_t = 0o600,
    owner: FileOwnership? = nil, durable: Bool = true
  ) throws(LocalFileError) -> String {
    try checkReplaceable(path)
    let temporary = temporaryPath(for: path)
    // Left by an earlier process with this pid; never followed if it is a link.
    unlink(temporary)
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
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
    var failedErrno = errno
    if ok, let owner {
      ok = fchown(fd, owner.uid, owner.gid) == 0
      failedErrno = errno
    }
    if ok {
      // After fchown, which clears set-id bits.
      ok = fchmod(fd, mode) == 0 && (!durable || fsync(fd) == 0)
      failedErrno = errno
    }
    // Some file systems (NFS, quota'd) report a full disk only when the file is closed.
    if close(fd) != 0 && ok {
      ok = false
      failedErrno = errno
    }
    guard ok else {
      unlink(temporary)
      throw .io(operation: "write \(temporary)", errno: failedErrno)
    }
    return temporary
  }

  /// The second half of `write`: renames `temporary` over `path` (checked again: it may have
  /// become a link since), or removes `temporary` when it cannot.
  public static func replace(_ path: String, with temporary: String, durable: Bool = true)
    throws(LocalFileError)
  {
    do throws(LocalFileError) {
      try checkReplaceable(path)
    } catch {
      unlink(temporary)
      throw error
    }
    guard rename(temporary, path) == 0 else {
      let renameErrno = errno
      unlink(temporary)
      throw .io(operation: "rename \(temporary) to \(path)", errno: renameErrno)
    }
    if durable { syncDirectory((path as NSString).deletingLastPathComponent) }
  }

  /// `<path>.tmp-<pid>`: beside the file (a rename does not cross file systems), and not
  /// ending in the file's extension, so an `include *.conf` never reads it.
  public static func temporaryPath(for path: String) -> String {
    "\(path).tmp-\(getpid())"
  }

  /// Throws unless `path` is absent or a regular file.
  public static func checkReplaceable(_ path: String) throws(LocalFileError) {
    guard let kind = FileKind.at(path), kind != .regularFile else { return }
    throw .notReplaceable(path: path, kind: kind)
  }

  /// Makes a rename durable.
  public static func syncDirectory(_ path: String) {
    let fd = open(path.isEmpty ? "." : path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else { return }
    fsync(fd)
    close(fd)
  }
}
