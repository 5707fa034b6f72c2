import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Files whose content decides what the firewall lets through — the state directory with the
/// list restored at boot, the saved lists, the remembered HTTP documents — must have been
/// written by origin-guard alone. The rule, for each such file and directory: owned by the user
/// origin-guard runs as (or root), not writable by group or others, not a symbolic link. The
/// directories above a state directory must be owned the same way and not writable by others
/// unless sticky (like /tmp, where nobody can rename what is not theirs).
public enum FileTrust {
  /// What is wrong with an owner and mode that were not set by origin-guard's user (`owned by
  /// uid 65534, …`, `writable by group or others (mode 0777)`); nil when they are fine.
  public static func ownershipProblem(_ status: stat, allowSticky: Bool = false) -> String? {
    var problems: [String] = []
    let owner = status.st_uid
    if owner != geteuid() && owner != 0 {
      problems.append("owned by uid \(owner), not by \(userName) (uid \(geteuid()))")
    }
    let sticky = allowSticky && status.st_mode & S_ISVTX != 0
    if status.st_mode & 0o022 != 0 && !sticky {
      problems.append("writable by group or others (mode \(octal(UInt32(status.st_mode))))")
    }
    return problems.isEmpty ? nil : problems.joined(separator: " and ")
  }

  /// `root`, or the uid origin-guard runs as, for messages and `chown` advice.
  public static var userName: String { geteuid() == 0 ? "root" : String(geteuid()) }

  /// `0644`.
  public static func octal(_ mode: UInt32) -> String {
    let digits = String(mode & 0o7777, radix: 8)
    return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
  }

  /// Checks a directory origin-guard keeps its state in; nothing there is fine (it will be
  /// created). With `ancestors`, the directories above it are checked too.
  public static func checkDirectory(_ path: String, ancestors: Bool) throws(LocalFileError) {
    var status = stat()
    guard lstat(path, &status) == 0 else {
      if errno == ENOENT { return }
      throw .io(operation: "stat \(path)", errno: errno)
    }
    let kind = FileKind(mode: status.st_mode)
    if kind == .symbolicLink {
      let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?"
      throw .untrusted(
        path: path, problem: "it is a symbolic link (to \(target))",
        fix:
          "origin-guard deletes files in its state directory and never follows a link to do so: configure the directory the link points to instead."
      )
    }
    guard kind == .directory else {
      throw .untrusted(
        path: path, problem: "it is a \(kind), not a directory",
        fix: "Move it away; origin-guard creates the directory.")
    }
    if let problem = ownershipProblem(status) {
      throw .untrusted(
        path: path, problem: "it is " + problem,
        fix:
          "Check what it holds, then run `chown \(userName): \(path) && chmod 700 \(path)`.")
    }
    guard ancestors, let found = try ancestorProblem(of: path) else { return }
    let parent = found.directory
    throw .untrusted(
      path: path, problem: "the directory above it, \(parent), is \(found.problem)",
      fix:
        "Keep state in a directory whose parents only \(userName) can write (such as /var/lib/origin-guard), or run `chown \(userName): \(parent) && chmod go-w \(parent)`."
    )
  }

  /// The first directory above `path` that someone other than origin-guard's user (or root)
  /// could rename things in (sticky directories like /tmp excepted), with what is wrong with
  /// it; nil when there is none.
  public static func ancestorProblem(of path: String) throws(LocalFileError) -> (
    directory: String, problem: String
  )? {
    var parent = (path as NSString).deletingLastPathComponent
    while !parent.isEmpty {
      var parentStatus = stat()
      guard stat(parent, &parentStatus) == 0 else {
        throw .io(operation: "stat \(parent)", errno: errno)
      }
      if let problem = ownershipProblem(parentStatus, allowSticky: true) {
        return (parent, problem)
      }
      if parent == "/" { break }
      parent = (parent as NSString).deletingLastPathComponent
    }
    return nil
  }

  /// The content of a file origin-guard wrote, read from one descriptor opened without
  /// following a symbolic link, so the owner and mode checked are those of the bytes read.
  /// Nil when there is no such file.
  public static func read(_ path: String) throws(LocalFileError) -> Data? {
    let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
    guard descriptor >= 0 else {
      switch errno {
      case ENOENT: return nil
      case ELOOP:
        throw .untrusted(
          path: path, problem: "it is a symbolic link",
          fix: "origin-guard never writes links: remove it (`rm \(path)`).")
      default: throw .io(operation: "open \(path)", errno: errno)
      }
    }
    defer { close(descriptor) }
    var status = stat()
    guard fstat(descriptor, &status) == 0 else {
      throw .io(operation: "stat \(path)", errno: errno)
    }
    let kind = FileKind(mode: status.st_mode)
    guard kind == .regularFile else {
      throw .untrusted(
        path: path, problem: "it is a \(kind), not a regular file",
        fix: "origin-guard writes only regular files here: remove it (`rm \(path)`).")
    }
    if let problem = ownershipProblem(status) {
      throw .untrusted(
        path: path, problem: "it is " + problem,
        fix:
          "If you did not put it there, remove it (`rm \(path)`); otherwise run `chown \(userName): \(path) && chmod 600 \(path)`."
      )
    }
    var data = Data(capacity: Int(max(0, status.st_size)))
    var buffer = [UInt8](repeating: 0, count: 256 << 10)
    while true {
      let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
      if count < 0 {
        if errno == EINTR || errno == EAGAIN { continue }
        throw .io(operation: "read \(path)", errno: errno)
      }
      if count == 0 { return data }
      data.append(contentsOf: buffer[..<count])
    }
  }
}
