import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The test suite runs as root on a real machine: it must leave the machine's devices alone.
/// scripts/test checks /dev/null once more after the whole suite.
@Suite("Test hygiene")
struct TestHygieneTests {
  static func kind(_ path: String) -> mode_t? {
    var status = stat()
    guard lstat(path, &status) == 0 else { return nil }
    return status.st_mode & S_IFMT
  }

  /// Fails when an earlier test (or an earlier run) replaced /dev/null with a regular file.
  @Test func devNullIsStillACharacterDevice() throws {
    var status = stat()
    #expect(lstat("/dev/null", &status) == 0)
    #expect(status.st_mode & S_IFMT == S_IFCHR, "/dev/null is no longer a character device")
    // glibc's major()/minor() are macros Swift does not import; the same arithmetic.
    let device = UInt64(status.st_rdev)
    let major = ((device >> 8) & 0xfff) | ((device >> 32) & ~0xfff)
    let minor = (device & 0xff) | ((device >> 12) & ~0xff)
    #expect(major == 1 && minor == 3, "/dev/null is device \(major):\(minor), not 1:3")
  }

  /// A background program's output path is opened as it is, never replaced: a FIFO stays a
  /// FIFO and receives the output (the old `createFile(atPath:)` renamed a regular file over it,
  /// as it did over /dev/null).
  @Test func aBackgroundProcessWritesIntoItsOutputPathWithoutReplacingIt() throws {
    let directory = NSTemporaryDirectory() + "og-hygiene-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let fifo = directory + "/output"
    #expect(mkfifo(fifo, 0o600) == 0)
    let reader = open(fifo, O_RDONLY | O_NONBLOCK)
    #expect(reader >= 0)
    defer { close(reader) }

    let process = try ReliabilityProcess(["sh", "-c", "echo through-the-fifo"], output: fifo)
    #expect(process.wait() == 0)

    #expect(Self.kind(fifo) == S_IFIFO)
    var buffer = [UInt8](repeating: 0, count: 64)
    let count = read(reader, &buffer, buffer.count)
    #expect(
      count > 0 && String(decoding: buffer[..<max(0, count)], as: UTF8.self) == "through-the-fifo\n"
    )

    let silent = try ReliabilityProcess(["sh", "-c", "echo discarded"])
    #expect(silent.wait() == 0)
    #expect(Self.kind("/dev/null") == S_IFCHR)
  }
}
