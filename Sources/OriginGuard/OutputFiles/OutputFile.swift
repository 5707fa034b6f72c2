import AddressSources
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// One output's file on disk: whether it already holds a content, and replacing it so that
/// its reader sees the old content or the new one, never a mix, and, with a `check`, only new
/// content the check accepted.
struct OutputFile {
  let config: OutputConfig

  var directory: String { (config.path as NSString).deletingLastPathComponent }

  /// Where the old content waits while `check` looks at the new one: hidden, and not ending
  /// in the file's extension, so an `include *.conf` never reads it. One left behind by a run
  /// that was killed holds the content from before that run's unchecked one, and is used.
  var previousPath: String {
    directory + "/." + (config.path as NSString).lastPathComponent + ".origin-guard-previous"
  }

  /// True when the file holds `text` (its time line aside) with the configured mode and owner.
  func holds(_ text: String) -> Bool {
    let descriptor = open(config.path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
    guard descriptor >= 0 else { return false }
    defer { close(descriptor) }
    var status = stat()
    guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG,
      status.st_mode & 0o7777 == config.mode,
      config.owner.map({ $0.uid == status.st_uid && $0.gid == status.st_gid }) ?? true,
      status.st_size <= Int(text.utf8.count) + 4096
    else { return false }
    var data = Data()
    var buffer = [UInt8](repeating: 0, count: 64 << 10)
    while true {
      let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
      if count < 0 && errno == EINTR { continue }
      if count <= 0 { break }
      data.append(contentsOf: buffer[..<count])
    }
    return ListDocument.comparable(String(decoding: data, as: UTF8.self))
      == ListDocument.comparable(text)
  }

  /// The directory exists, and only origin-guard's user (or root) can write it or the
  /// directories above it (the rule of `FileTrust`, on the real path).
  func checkDirectory() throws(OutputError) {
    guard let real = realpath(directory, nil) else {
      if errno == ENOENT || errno == ENOTDIR {
        throw .missingDirectory(path: config.path, directory: directory)
      }
      throw .file(path: config.path, .io(operation: "resolve \(directory)", errno: errno))
    }
    let resolved = String(cString: real)
    free(real)
    var status = stat()
    guard stat(resolved, &status) == 0 else {
      throw .file(path: config.path, .io(operation: "stat \(resolved)", errno: errno))
    }
    guard status.st_mode & S_IFMT == S_IFDIR else {
      throw .missingDirectory(path: config.path, directory: directory)
    }
    if let problem = FileTrust.ownershipProblem(status) {
      throw .untrustedDirectory(path: config.path, directory: resolved, problem: problem)
    }
    let above = try file { () throws(LocalFileError) in
      try FileTrust.ancestorProblem(of: resolved)
    }
    if let above {
      throw .untrustedDirectory(
        path: config.path, directory: above.directory, problem: above.problem)
    }
  }

  /// Puts `text` in place. With a check: the new content goes in place of the old (kept
  /// aside by a hard link), the check runs, and a failing check brings the old content back
  /// (or no file, if there was none).
  func replace(with text: String) throws(OutputError) {
    try checkDirectory()
    let path = config.path
    let data = Data(text.utf8)
    guard let check = config.check else {
      try file { () throws(LocalFileError) in
        let temporary = try AtomicReplacement.writeTemporary(
          data, for: path, mode: config.mode, owner: config.owner)
        try AtomicReplacement.replace(path, with: temporary)
      }
      return
    }
    let hadPrevious = try file { () throws(LocalFileError) -> Bool in
      let temporary = try AtomicReplacement.writeTemporary(
        data, for: path, mode: config.mode, owner: config.owner)
      var kept = Previous.none
      do throws(LocalFileError) {
        kept = try keepPrevious()
        try AtomicReplacement.replace(path, with: temporary)
      } catch {
        unlink(temporary)
        if kept == .linkedNow { unlink(previousPath) }
        throw error
      }
      return kept != .none
    }
    let command = ExternalCommand(check, timeout: config.timeout)
    let result = command.run()
    guard result.succeeded else {
      if hadPrevious {
        rename(previousPath, path)
      } else {
        unlink(path)
      }
      AtomicReplacement.syncDirectory(directory)
      throw .checkFailed(path: path, command: command, result)
    }
    unlink(previousPath)
    AtomicReplacement.syncDirectory(directory)
  }

  private func file<T>(_ body: () throws(LocalFileError) -> T) throws(OutputError) -> T {
    do {
      return try body()
    } catch {
      throw .file(path: config.path, error)
    }
  }

  private enum Previous {
    case none, leftOver, linkedNow
  }

  /// Links the current content to `previousPath` unless a killed run left one there.
  private func keepPrevious() throws(LocalFileError) -> Previous {
    switch FileKind.at(previousPath) {
    case .regularFile?: return .leftOver
    case let kind?: throw .notReplaceable(path: previousPath, kind: kind)
    case nil: break
    }
    guard FileKind.at(config.path) != nil else { return .none }
    guard link(config.path, previousPath) == 0 else {
      throw .io(operation: "keep the old content as \(previousPath)", errno: errno)
    }
    return .linkedNow
  }
}
