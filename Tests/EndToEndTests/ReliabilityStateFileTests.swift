import Foundation
import Glibc
import TestSupport
import Testing

/// The state directory under crashes and damage: a `kill -9` while a state file is being
/// written leaves the old or the new last-known-good list; a corrupt file is reported,
/// ignored, and rewritten by the next sync.
@Suite("Reliability: state directory", .enabled(if: KernelTests.enabled))
struct ReliabilityStateFileTests {
  /// Kills the sync the moment a temporary state file (`*.tmp-<pid>`) appears: mid-write.
  /// Rounds alternate between the list files (written first) and the header that names them.
  @Test func killedWhileWritingTheStateFiles() async throws {
    let rounds = ReliabilityRuns.count(short: 4, long: 40)
    let lists = LargeLists(count: ReliabilityCrashTests.listSize)
    try await GuardSandbox.with { sandbox in
      try ReliabilityCrashTests.prepare(sandbox, lists)
      _ = try ReliabilityCrashTests.sync(sandbox, to: lists.a)
      var current = lists.a
      var caught = 0
      var interrupted: [String: Int] = [:]
      for round in 0..<rounds {
        let target = lists.other(than: current)
        try sandbox.write("allow.txt", target.text)
        let process = try sandbox.startOriginGuard(["sync"])
        let temporary = Self.killWhenATemporaryFileAppears(
          process, in: sandbox.stateDirectory, header: round % 2 == 1)
        if let temporary {
          caught += 1
          let file = (temporary as NSString).lastPathComponent
          interrupted[
            file.hasPrefix("state.json")
              ? "header" : file.hasPrefix("last-run") ? "run_record" : "list", default: 0] += 1
        }
        let exported = try sandbox.exportedPrefixes()
        #expect(
          exported == Set(current.ipv4 + current.ipv6)
            || exported == Set(target.ipv4 + target.ipv6),
          "after a kill while writing \(temporary ?? "nothing"), the last-known-good list is neither A nor B, or corrupt"
        )
        let status = try sandbox.originGuard("status")
        #expect(
          status.status == 0 && !status.errorOutput.contains("corrupt"), "\(status.errorOutput)")
        let converge = try sandbox.originGuard("sync")
        #expect(converge.status == 0, "\(converge.errorOutput)")
        #expect(try sandbox.exportedPrefixes() == Set(target.ipv4 + target.ipv6))
        current = target
      }
      #expect(try sandbox.kernelList(lists)?.name == current.name)
      // A killed sync leaves its temporary file; the next successful one removes it.
      let leftovers = try FileManager.default.subpathsOfDirectory(atPath: sandbox.stateDirectory)
        .filter { $0.contains(".tmp-") }
      ReliabilityRuns.report(
        "kill-9-state-write",
        [
          ("rounds", rounds), ("killed_mid_write", caught),
          ("leftover_temporary_files", leftovers.count),
        ]
          + interrupted.sorted { $0.key < $1.key }.map { ("interrupted_\($0.key)", $0.value) })
      #expect(caught > 0, "never caught a sync writing its state files")
      #expect(leftovers.isEmpty, "temporary files left behind: \(leftovers)")
    }
  }

  /// Watches the state directory (inotify) and kills `process` the moment a list file (or,
  /// with `header`, the header `state.json`) starts being written: the kill lands between
  /// the temporary file's creation and its rename. Returns that file, or nil when the
  /// process ended first.
  static func killWhenATemporaryFileAppears(
    _ process: ReliabilityProcess, in directory: String, header: Bool
  ) -> String? {
    let watched = header ? directory : directory + "/lists"
    let watch = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
    guard watch >= 0, inotify_add_watch(watch, watched, UInt32(IN_CREATE)) >= 0 else {
      process.stop()
      return nil
    }
    defer { close(watch) }
    var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    while process.isRunning {
      var poller = pollfd(fd: watch, events: Int16(POLLIN), revents: 0)
      guard poll(&poller, 1, 10) > 0 else { continue }
      let count = read(watch, &buffer, buffer.count)
      var offset = 0
      while count > 0 && offset + MemoryLayout<inotify_event>.size <= count {
        let length = buffer.withUnsafeBytes {
          Int($0.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
        }
        let nameBytes = buffer[(offset + 16)..<(offset + 16 + length)].prefix { $0 != 0 }
        let name = String(decoding: nameBytes, as: UTF8.self)
        offset += 16 + length
        guard name.contains(".tmp-"), !header || name.hasPrefix("state.json") else { continue }
        process.stop(signal: SIGKILL)
        return watched + "/" + name
      }
    }
    process.stop()
    return nil
  }

  static func temporaryFiles(_ directory: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
      .filter { $0.contains(".tmp-") }.map { directory + "/" + $0 }
  }

  // MARK: - Planted damage

  static let list = TestLists.ipv4(20) + TestLists.ipv6

  /// A good sync of a small file source, then `damage`, then the checks.
  func afterGoodSync(_ body: (GuardSandbox) throws -> Void) async throws {
    try await GuardSandbox.with { sandbox in
      try sandbox.write("allow.txt", TestLists.text(Self.list))
      try sandbox.writeConfiguration(
        sources: """
            - name: fleet
              type: file
              path: \(sandbox.directory)/allow.txt
          """)
      let good = try sandbox.originGuard("sync")
      try #require(good.status == 0, "\(good.errorOutput)")
      try body(sandbox)
    }
  }

  func listFiles(_ sandbox: GuardSandbox) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: sandbox.stateDirectory + "/lists")
      .map { sandbox.stateDirectory + "/lists/" + $0 }
  }

  @Test func garbageInTheHeaderIsReportedAndRepaired() async throws {
    try await afterGoodSync { sandbox in
      let ruleset = try sandbox.ruleset()
      try Data("{\"format\": 1, \"saved_at\": garbage\u{0}\u{7f}".utf8).write(
        to: URL(fileURLWithPath: sandbox.stateDirectory + "/state.json"))
      let status = try sandbox.originGuard("status")
      #expect(status.status == 0)
      #expect(
        status.errorOutput.contains("corrupt") || status.output.contains("unknown (no saved state)")
      )

      let sync = try sandbox.originGuard("sync")
      #expect(sync.status == 0, "\(sync.errorOutput)")
      #expect(sync.errorOutput.contains("state.json is corrupt"), "\(sync.errorOutput)")
      // The kernel already held the list: nothing to change, and the header is rewritten.
      #expect(try sandbox.ruleset() == ruleset)
      let repaired = try sandbox.originGuard("sync")
      #expect(repaired.status == 0 && !repaired.errorOutput.contains("corrupt"))
      #expect(try sandbox.status()["matches_saved_state"] as? Bool == true)
    }
  }

  @Test func truncatedListFileIsNotUsedAsLastKnownGood() async throws {
    try await afterGoodSync { sandbox in
      let ruleset = try sandbox.ruleset()
      for file in try listFiles(sandbox) {
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: file))
      }
      // The source fails now; its truncated last-known-good list must not stand in for it.
      try FileManager.default.removeItem(atPath: sandbox.directory + "/allow.txt")
      let failing = try sandbox.originGuard("sync")
      #expect(failing.status == 5, "\(failing.errorOutput)")
      #expect(failing.errorOutput.contains("corrupt"), "no warning: \(failing.errorOutput)")
      #expect(try sandbox.ruleset() == ruleset)
      #expect(try sandbox.metrics().value("last_attempt_result", ["result": "source_failed"]) == 1)

      // The source is back: the next sync repairs the state directory.
      try sandbox.write("allow.txt", TestLists.text(Self.list))
      let repaired = try sandbox.originGuard("sync")
      #expect(repaired.status == 0, "\(repaired.errorOutput)")
      #expect(try sandbox.exportedPrefixes() == Set(Self.list))
      #expect(try sandbox.ruleset() == ruleset)
      #expect(try sandbox.listFilesAreIntact())
    }
  }

  @Test func appliedListThatFailsItsChecksumIsReadFromTheKernelInstead() async throws {
    try await afterGoodSync { sandbox in
      // Same length, one byte different: only the checksum can tell.
      for file in try listFiles(sandbox) {
        var data = try Data(contentsOf: URL(fileURLWithPath: file))
        data[data.startIndex] = data[data.startIndex] == 0x31 ? 0x32 : 0x31
        try data.write(to: URL(fileURLWithPath: file))
      }
      try sandbox.write(
        "allow.txt", TestLists.text(Self.list + ["10.200.0.0/24"]))
      let sync = try sandbox.originGuard("sync")
      #expect(sync.status == 0, "\(sync.errorOutput)")
      #expect(sync.errorOutput.contains("checksum mismatch"), "no warning: \(sync.errorOutput)")
      #expect(try sandbox.kernelElements(set: "allowed_v4").contains("10.200.0.0/24"))
      #expect(try sandbox.kernelElements(set: "allowed_v4").count == 21)
      let plan = try sandbox.originGuard("plan", "--detailed-exitcode")
      #expect(plan.status == 0, "\(plan.output)")
      // Rewritten: the next run finds nothing to warn about.
      #expect(!plan.errorOutput.contains("corrupt"), "\(plan.errorOutput)")
      #expect(try sandbox.listFilesAreIntact())
    }
  }
}

extension GuardSandbox {
  /// Every list file in the state directory matches the checksum in its name.
  func listFilesAreIntact() throws -> Bool {
    let directory = stateDirectory + "/lists"
    return try FileManager.default.contentsOfDirectory(atPath: directory).allSatisfy { name in
      let digest = try run(["sha256sum", directory + "/" + name]).output.prefix(64)
      return name == digest + ".txt"
    }
  }
}
