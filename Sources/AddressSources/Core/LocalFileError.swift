#if canImport(Glibc)
  import Glibc
#endif

/// Why origin-guard would not read or write a file of its own: it is not what origin-guard
/// wrote (a device, a FIFO, a symbolic link), or someone else could have written it.
public enum LocalFileError: Error, Sendable, Equatable, CustomStringConvertible {
  case io(operation: String, errno: Int32)
  /// An atomic rename would replace `path`, which is not a regular file.
  case notReplaceable(path: String, kind: FileKind)
  /// `path` is not owned by origin-guard's user (or root), is writable by others, or is a
  /// symbolic link: what it holds may not be origin-guard's.
  case untrusted(path: String, problem: String, fix: String)

  public var description: String {
    switch self {
    case .io(let operation, let code):
      "\(operation): \(String(cString: strerror(code)))"
    case .notReplaceable(let path, let kind):
      "\(path) is a \(kind); origin-guard writes this file by renaming a new file over it "
        + "and will not replace a \(kind). Configure a path that does not "
        + "exist yet or is a regular file (for a symbolic link: the path it points to)."
    case .untrusted(let path, let problem, let fix):
      "refusing \(path): \(problem), so another user could have chosen what it holds. \(fix)"
    }
  }
}

/// What `lstat` says a path is.
public enum FileKind: String, Sendable, Equatable, CustomStringConvertible {
  case regularFile = "regular file"
  case directory
  case symbolicLink = "symbolic link"
  case characterDevice = "character device"
  case blockDevice = "block device"
  case fifo = "FIFO (named pipe)"
  case socket
  case unknown = "file of unknown type"

  init(mode: mode_t) {
    switch mode & S_IFMT {
    case S_IFREG: self = .regularFile
    case S_IFDIR: self = .directory
    case S_IFLNK: self = .symbolicLink
    case S_IFCHR: self = .characterDevice
    case S_IFBLK: self = .blockDevice
    case S_IFIFO: self = .fifo
    case S_IFSOCK: self = .socket
    default: self = .unknown
    }
  }

  /// The kind of whatever is at `path`, without following a final symbolic link; nil when
  /// nothing is there.
  public static func at(_ path: String) -> FileKind? {
    var status = stat()
    guard lstat(path, &status) == 0 else { return nil }
    return FileKind(mode: status.st_mode)
  }

  public var description: String { rawValue }
}
