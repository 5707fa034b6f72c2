import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// `outputs:` attacked through the shipped binary: paths that are links or in directories
/// others can write, commands that hang or refuse, a disk that is full or read-only. Every
/// time the sync's own result (exit 0, the firewall updated) must stand, nothing half-written
/// may stay behind, and the error must be logged and counted.
@Suite("Adversarial: outputs", .enabled(if: KernelTests.enabled))
struct AdversarialOutputsTests {
  static let first = ["198.51.100.0/24", "2001:db8:1::/48"]
  static let second = ["198.51.100.0/24", "203.0.113.0/24", "2001:db8:1::/48"]

  /// One output item (YAML) writing `format` to `path`, with `more` keys.
  static func output(_ path: String, name: String = "web", more: String = "") -> String {
    """
    outputs:
      - name: \(name)
        format: nginx-allow
        path: \(path)
    \(more)
    """
  }

  /// `origin_guard_output_errors_total{output=…}` in the metrics file.
  static func errorsCounted(_ setup: CommandSetup, output: String = "web") throws -> Int? {
    let text = try String(contentsOfFile: setup.metricsPath, encoding: .utf8)
    let prefix = "origin_guard_output_errors_total{output=\"\(output)\"} "
    return text.split(separator: "\n").first { $0.hasPrefix(prefix) }
      .flatMap { Int($0.dropFirst(prefix.count)) }
  }

  static func makeDirectory(_ path: String, mode: mode_t = 0o755) throws {
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    guard chmod(path, mode) == 0 else { throw SetupError("chmod \(path)") }
  }

  /// `S_IFLNK`, `S_IFREG`, … of what is at `path` (not following a link); nil when nothing is.
  static func kind(_ path: String) -> mode_t? {
    var status = stat()
    return lstat(path, &status) == 0 ? status.st_mode & S_IFMT : nil
  }

  /// No such process, or only its zombie waiting for whoever adopted it.
  static func isGone(_ pid: pid_t) -> Bool {
    guard kill(pid, 0) == 0 else { return errno == ESRCH }
    let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
    return stat.split(separator: ")").last?.split(separator: " ").first == "Z"
  }

  /// Names in `directory` other than `keep`: temporary or set-aside files left behind.
  static func leftovers(_ directory: String, keep: Set<String>) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: directory).filter { !keep.contains($0) }
  }

  @Test func aSymbolicLinkAtThePathIsRefusedAndWhatItPointsToIsUntouched() async throws {
    try await withCommandSetup { setup in
      let directory = setup.directory + "/web"
      try Self.makeDirectory(directory)
      let victim = setup.directory + "/precious"
      try "precious\n".write(toFile: victim, atomically: false, encoding: .utf8)
      try FileManager.default.createSymbolicLink(
        atPath: directory + "/allow.conf", withDestinationPath: victim)
      try setup.writeConfig(extra: Self.output(directory + "/allow.conf"))
      try setup.writeList(Self.first)

      let sync = try setup.originGuard("sync")
      #expect(sync.errorOutput.contains("symbolic link"), "\(sync.errorOutput)")
      #expect(try setup.allowed() == Set(Self.first), "the firewall is updated all the same")
      #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious\n")
      #expect(Self.kind(directory + "/allow.conf") == S_IFLNK)
      #expect(try Self.leftovers(directory, keep: ["allow.conf"]) == [])
      #expect(try Self.errorsCounted(setup) == 1)
    }
  }

  @Test func aDirectoryOthersCanWriteOrOwnIsRefused() async throws {
    try await withCommandSetup { setup in
      let open = setup.directory + "/open"
      try Self.makeDirectory(open, mode: 0o777)
      let foreign = setup.directory + "/foreign"
      try Self.makeDirectory(foreign)
      guard chown(foreign, 65534, 65534) == 0 else { throw SetupError("chown \(foreign)") }
      try setup.writeConfig(
        extra: """
          outputs:
            - name: open
              format: text
              path: \(open)/list.txt
            - name: foreign
              format: text
              path: \(foreign)/list.txt
            - name: beneath
              format: text
              path: \(open)/sub/list.txt
          """)
      try FileManager.default.createDirectory(
        atPath: open + "/sub", withIntermediateDirectories: false)
      try setup.writeList(Self.first)

      let sync = try setup.originGuard("sync")
      #expect(
        sync.errorOutput.contains("\(open) is writable by group or others (mode 0777)"),
        "\(sync.errorOutput)")
      #expect(sync.errorOutput.contains("\(foreign) is owned by uid 65534"), "\(sync.errorOutput)")
      #expect(
        sync.errorOutput.contains("refusing to write \(open)/sub/list.txt: \(open) is writable"),
        "a directory above the file counts too: \(sync.errorOutput)")
      for path in [open + "/list.txt", foreign + "/list.txt", open + "/sub/list.txt"] {
        #expect(Self.kind(path) == nil, "\(path)")
      }
      #expect(try setup.allowed() == Set(Self.first))
      for name in ["open", "foreign", "beneath"] {
        #expect(try Self.errorsCounted(setup, output: name) == 1, "\(name)")
      }
    }
  }

  @Test func aMissingDirectoryIsReportedAndNotCreated() async throws {
    try await withCommandSetup { setup in
      let missing = setup.directory + "/ngnix/conf.d"
      try setup.writeConfig(extra: Self.output(missing + "/allow.conf"))
      try setup.writeList(Self.first)

      let sync = try setup.originGuard("sync")
      #expect(
        sync.errorOutput.contains("the directory \(missing) does not exist"),
        "\(sync.errorOutput)")
      #expect(Self.kind(setup.directory + "/ngnix") == nil)
      #expect(try setup.allowed() == Set(Self.first))
      #expect(try Self.errorsCounted(setup) == 1)
    }
  }

  /// A command that ignores SIGTERM and leaves a child behind: the whole group is killed at
  /// the timeout (SIGKILL after the grace), and the sync goes on.
  @Test func aHangingOnChangeIsKilledAtItsTimeoutWithWhatItStarted() async throws {
    try await withCommandSetup { setup in
      let directory = setup.directory + "/web"
      try Self.makeDirectory(directory)
      let childPID = setup.directory + "/child.pid"
      try setup.writeConfig(
        extra: Self.output(
          directory + "/allow.conf",
          more: """
                on_change: [sh, -c, "trap '' TERM; sleep 300 & echo $! > \(childPID); wait"]
                timeout: 1s
            """))
      try setup.writeList(Self.first)

      let clock = ContinuousClock()
      let start = clock.now
      let sync = try setup.originGuard("sync")
      let took = clock.now - start
      #expect(
        sync.errorOutput.contains("did not finish in time and was killed"), "\(sync.errorOutput)")
      // 1 s timeout + 2 s grace; generous for a loaded machine, far below the 300 s sleep.
      #expect(took >= .seconds(3) && took < .seconds(30), "\(took)")
      let pid = try #require(
        pid_t(
          try String(contentsOfFile: childPID, encoding: .utf8).trimmingCharacters(
            in: .whitespacesAndNewlines)))
      try waitUntil("the command's child is gone", timeout: .seconds(5)) { Self.isGone(pid) }
      #expect(try setup.allowed() == Set(Self.first))
      let content = try String(contentsOfFile: directory + "/allow.conf", encoding: .utf8)
      #expect(content.contains("allow 198.51.100.0/24;"), "the new content stays in place")
      #expect(try Self.errorsCounted(setup) == 1)
    }
  }

  @Test func aFailingCheckKeepsTheOldFileAndIsTriedAgain() async throws {
    try await withCommandSetup { setup in
      let directory = setup.directory + "/web"
      try Self.makeDirectory(directory)
      let path = directory + "/allow.conf"
      let runs = setup.directory + "/on-change-runs"
      // The check refuses any list with 203.0.113.0/24, as `nginx -t` would a broken file.
      let more = """
            check: [sh, -c, "! grep -q 203.0.113 \(path)"]
            on_change: [sh, -c, "echo run >> \(runs)"]
        """
      try setup.writeConfig(extra: Self.output(path, more: more))
      try setup.writeList(Self.first)
      try setup.originGuard("sync")
      let old = try Data(contentsOf: URL(fileURLWithPath: path))
      #expect(try String(contentsOfFile: runs, encoding: .utf8) == "run\n")

      try setup.writeList(Self.second)
      let sync = try setup.originGuard("sync")
      #expect(sync.errorOutput.contains("put the old content back"), "\(sync.errorOutput)")
      #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == old)
      #expect(try Self.leftovers(directory, keep: ["allow.conf"]) == [])
      #expect(try setup.allowed() == Set(Self.second), "the firewall is not rolled back")
      #expect(try String(contentsOfFile: runs, encoding: .utf8) == "run\n", "nothing to reload")
      #expect(try Self.errorsCounted(setup) == 1)

      try setup.originGuard("sync")
      #expect(try Self.errorsCounted(setup) == 2, "tried again, refused again")
      #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == old)
    }
  }

  @Test func aFailingCheckOfAFirstFileLeavesNoFile() async throws {
    try await withCommandSetup { setup in
      let directory = setup.directory + "/web"
      try Self.makeDirectory(directory)
      try setup.writeConfig(
        extra: Self.output(directory + "/allow.conf", more: "    check: [\"false\"]"))
      try setup.writeList(Self.first)
      try setup.originGuard("sync")
      #expect(try Self.leftovers(directory, keep: []) == [])
      #expect(try Self.errorsCounted(setup) == 1)
    }
  }

  /// A small tmpfs of the test's own, filled up, then made read-only: the old file stays
  /// whole and no temporary file is left.
  @Test func aFullOrReadOnlyFileSystemKeepsTheOldFile() async throws {
    try await withCommandSetup { setup in
      let mount = setup.directory + "/small"
      try Self.makeDirectory(mount)
      try run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "og-outputs", mount])
      defer { _ = try? run(["umount", mount], check: false) }
      let path = mount + "/allow.conf"
      try setup.writeConfig(extra: Self.output(path))
      try setup.writeList(Self.first)
      try setup.originGuard("sync")
      let old = try Data(contentsOf: URL(fileURLWithPath: path))

      // Fill it: dd stops at ENOSPC.
      _ = try run(["dd", "if=/dev/zero", "of=\(mount)/filler", "bs=4k"], check: false)
      try setup.writeList(Self.second)
      var sync = try setup.originGuard("sync")
      #expect(sync.errorOutput.contains("No space left on device"), "\(sync.errorOutput)")
      #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == old)
      #expect(try Self.leftovers(mount, keep: ["allow.conf", "filler"]) == [])
      #expect(try setup.allowed() == Set(Self.second))

      try FileManager.default.removeItem(atPath: mount + "/filler")
      try run(["mount", "-o", "remount,ro", mount])
      sync = try setup.originGuard("sync")
      #expect(sync.errorOutput.contains("Read-only file system"), "\(sync.errorOutput)")
      #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == old)
      #expect(try Self.errorsCounted(setup) == 2)

      // Space again: the next sync catches up.
      try run(["mount", "-o", "remount,rw", mount])
      sync = try setup.originGuard("sync")
      #expect(try String(contentsOfFile: path, encoding: .utf8).contains("allow 203.0.113.0/24;"))
      #expect(try Self.errorsCounted(setup) == 2)
    }
  }

  /// A prefix the source stopped listing but `retain_removed` still allows stays in an output
  /// filtered by `sources:` as well: a web server must trust every node the firewall lets in
  /// (`nginx-allow` behind an ALB would answer that node's requests with 403).
  @Test func anOutputFilteredBySourceKeepsWhatTheGracePeriodKeeps() async throws {
    try await withCommandSetup { setup in
      let path = setup.directory + "/allow.conf"
      try setup.writeConfig(
        sources: setup.fileSource + "\n    retain_removed: 1h",
        extra: Self.output(path, more: "    sources: [list]"))
      try setup.writeList(Self.second)
      #expect(try setup.originGuard("sync").status == 0)
      try setup.writeList(Self.first)
      let sync = try setup.originGuard("sync")
      #expect(sync.status == 0, "\(sync.errorOutput)")
      #expect(try setup.allowed() == Set(Self.second), "203.0.113.0/24 is kept for an hour")
      let written = try String(contentsOfFile: path, encoding: .utf8)
      #expect(written.contains("allow 203.0.113.0/24;"), "\(written)")
    }
  }
}
