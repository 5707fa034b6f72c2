import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Where a background program's output goes in a test.
public enum LogFile {
  /// A handle writing to `path` from its start, creating a regular file when nothing is there.
  /// The path is opened as it is, never replaced: `FileManager.createFile(atPath:)` renames a new
  /// file over the path, which turns a device such as `/dev/null` into a regular file for the
  /// whole machine. For output nobody reads, use `FileHandle.nullDevice`.
  public static func handle(writingTo path: String) throws -> FileHandle {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOCTTY | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
      throw CocoaError(
        .fileWriteUnknown,
        userInfo: [NSFilePathErrorKey: path, "errno": String(cString: strerror(errno))])
    }
    return FileHandle(fileDescriptor: fd, closeOnDealloc: true)
  }
}
