import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// `retain_removed` attacked with the built binary: a source that drops everything and comes
/// back, restarts and a reboot in between, a tampered, corrupt or future-dated `grace.json`, a
/// full state directory. Each run of the binary is a restart; each test has its own namespace.
@Suite("Adversarial: removal grace period", .enabled(if: KernelTests.enabled))
struct AdversarialGraceTests {
  static let a = "192.0.2.0/24"
  static let b = "198.51.100.0/24"
  static let c = "203.0.113.0/24"

  /// The file source with a grace period of its own (files default to none).
  static func fileSource(_ setup: CommandSetup, retain: String) -> String {
    setup.fileSource + "\n    retain_removed: \(retain)"
  }

  /// A file source that listed A and B, then only A: B is retained.
  static func retainingB(_ setup: CommandSetup, retain: String = "1h") throws {
    // B is half the list: the shrink guard would refuse its end of grace.
    try setup.writeConfig(
      sources: fileSource(setup, retain: retain), extra: "guards:\n  max_shrink_percent: 60")
    try setup.writeList([a, b])
    try setup.originGuard("sync")
    try setup.writeList([a])
    try setup.originGuard("sync")
    #expect(try setup.allowed() == [a, b])
  }

  var gracePath: (CommandSetup) -> String { { $0.stateDirectory + "/grace.json" } }

  @Test func aSourceThatDropsEverythingAndComesBackDropsNothing() async throws {
    try await GuardSandbox.with { sandbox in
      let server = try NamespaceHTTPServer(in: sandbox.namespace) { _ in
        .text([Self.a, Self.b].joined(separator: "\n") + "\n")
      }
      try sandbox.writeConfiguration(
        sources: """
            - name: cdn
              type: url
              url: \(server.baseURL)/list.txt
              format: text
              retry_max_attempts: 1
          """)
      let first = try sandbox.originGuard("sync")
      try #require(first.status == 0, "\(first.errorOutput)")

      // Everything it listed gone, one new prefix: added at once, nothing removed.
      server.answer(with: { _ in .text(Self.c + "\n") })
      let hostile = try sandbox.originGuard("sync")
      try #require(hostile.status == 0, "\(hostile.errorOutput)")
      #expect(try sandbox.kernelElements(set: "allowed_v4") == [Self.a, Self.b, Self.c])
      let plan = try sandbox.originGuard("plan")
      #expect(plan.output.contains("Keep 2 prefixes no source lists any more"), "\(plan.output)")
      #expect(plan.output.contains("source cdn, kept until "), "\(plan.output)")
      #expect(plan.output.contains("(removed by the source at "), "\(plan.output)")

      // Back again: A and B simply stay; C, which it dropped now, is the one retained.
      server.answer(with: { _ in .text([Self.a, Self.b].joined(separator: "\n") + "\n") })
      let back = try sandbox.originGuard("sync")
      try #require(back.status == 0, "\(back.errorOutput)")
      #expect(try sandbox.kernelElements(set: "allowed_v4") == [Self.a, Self.b, Self.c])
      let json = try sandbox.originGuard("plan", "--json")
      let object = try parseObject(json.output)
      let retained = try #require(object["retained"] as? [[String: Any]])
      #expect(retained.map { $0["prefix"] as? String } == [Self.c])
      #expect(retained.first?["source"] as? String == "cdn")
    }
  }

  @Test func theGracePeriodSurvivesRestartsAndARebootAndEndsOnTime() async throws {
    try await withCommandSetup { setup in
      try Self.retainingB(setup, retain: "3s")
      let removedAt = Date()
      let status = try setup.originGuard("status")
      #expect(status.output.contains("keeps 1 prefix it no longer lists"), "\(status.output)")
      // `check` says why B is still allowed, and `export` prints what the kernel enforces.
      let check = try setup.originGuard("check", "198.51.100.7")
      #expect(check.output.contains("source list, kept until "), "\(check.output)")
      let export = try setup.originGuard("export", "--format", "text")
      #expect(export.output.contains(Self.b), "\(export.output)")

      // A reboot: a kernel without our table; the boot restore brings B back too.
      try await withThrowawayNamespace { rebooted in
        let booted = setup.moved(to: rebooted)
        try booted.originGuard("sync", "--from-cache")
        #expect(try booted.allowed() == [Self.a, Self.b])
      }
      let left = 3.5 - Date().timeIntervalSince(removedAt)
      if left > 0 { try await Task.sleep(for: .milliseconds(Int(left * 1000))) }
      let gone = try setup.originGuard("sync")
      #expect(try setup.allowed() == [Self.a], "\(gone.errorOutput)")
    }
  }

  @Test func aGraceFileNamingAddressesNeverAppliedAllowsNone() async throws {
    try await withCommandSetup { setup in
      try Self.retainingB(setup)
      let forged = """
        {"format":1,"sources":{"list":[{"removed_at":"\(Date().formatted(.iso8601))","prefixes":["0.0.0.0/1","\(Self.b)"]}]}}
        """
      try Data(forged.utf8).write(to: URL(fileURLWithPath: gracePath(setup)))
      #expect(chmod(gracePath(setup), 0o600) == 0)
      let result = try setup.originGuard("sync")
      #expect(try setup.allowed() == [Self.a, Self.b])
      #expect(result.errorOutput.contains("did not apply"), "\(result.errorOutput)")

      // One anybody could have written is refused before the kernel is touched.
      try setup.writeList([Self.a, Self.c])
      #expect(chmod(gracePath(setup), 0o666) == 0)
      let refused = try setup.originGuard("sync", exits: 1)
      #expect(refused.errorOutput.contains("writable by group or others"), "\(refused.errorOutput)")
      #expect(try setup.allowed() == [Self.a, Self.b])
    }
  }

  @Test func aCorruptGraceFileKeepsWhatWasRetained() async throws {
    try await withCommandSetup { setup in
      try Self.retainingB(setup)
      try Data("{\"format\":1,\"sources\":{\"list\":[{\"removed_at\":12,".utf8).write(
        to: URL(fileURLWithPath: gracePath(setup)))
      let result = try setup.originGuard("sync")
      #expect(result.errorOutput.contains("grace.json is corrupt"), "\(result.errorOutput)")
      #expect(try setup.allowed() == [Self.a, Self.b])
      // Rewritten: the next run has nothing to complain about.
      let again = try setup.originGuard("sync")
      #expect(!again.errorOutput.contains("corrupt"), "\(again.errorOutput)")
      #expect(try setup.allowed() == [Self.a, Self.b])
    }
  }

  /// A removal recorded "in 2099": what a clock set back years makes of a real one.
  @Test func aClockSetBackDoesNotStretchTheGracePeriod() async throws {
    try await withCommandSetup { setup in
      try Self.retainingB(setup)
      let future = """
        {"format":1,"sources":{"list":[{"removed_at":"2099-01-01T00:00:00Z","prefixes":["\(Self.b)"]}]}}
        """
      try Data(future.utf8).write(to: URL(fileURLWithPath: gracePath(setup)))
      #expect(chmod(gracePath(setup), 0o600) == 0)
      let plan = try setup.planJSON()
      let retained = try #require((plan["retained"] as? [[String: Any]])?.first)
      let until = try Date(try #require(retained["until"] as? String), strategy: .iso8601)
      #expect(until <= Date().addingTimeInterval(3600 + 5), "\(retained)")
    }
  }

  /// A state directory with no room left: the sync that cannot record the grace period
  /// changes nothing, and the next one, with room again, still keeps the prefix.
  @Test func aFullStateDirectoryLosesNoGracePeriod() async throws {
    try await withCommandSetup { setup in
      try setup.writeConfig(sources: Self.fileSource(setup, retain: "1h"))
      try setup.writeList([Self.a, Self.b])
      try FileManager.default.createDirectory(
        atPath: setup.stateDirectory, withIntermediateDirectories: false,
        attributes: [.posixPermissions: 0o700])
      let out = setup.directory + "/out"
      try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: false)
      func quoted(_ arguments: [String]) -> String {
        arguments.map { "'\($0)'" }.joined(separator: " ")
      }
      let filler = setup.stateDirectory + "/filler"
      let script = """
        set -u
        mount -t tmpfs -o size=64k,mode=0700 tmpfs '\(setup.stateDirectory)' || exit 90
        \(quoted(setup.commandLine(["sync"]))) >'\(out)/1.out' 2>'\(out)/1.err'; echo $? >'\(out)/1.rc'
        printf '# written by the test\\n\(Self.a)\\n' >'\(setup.listPath)'
        dd if=/dev/zero of='\(filler)' bs=4k count=64 2>/dev/null
        \(quoted(setup.commandLine(["sync"]))) >'\(out)/2.out' 2>'\(out)/2.err'; echo $? >'\(out)/2.rc'
        rm -f '\(filler)'
        \(quoted(setup.commandLine(["sync"]))) >'\(out)/3.out' 2>'\(out)/3.err'; echo $? >'\(out)/3.rc'
        \(quoted(setup.commandLine(["plan", "--json"]))) >'\(out)/4.out' 2>'\(out)/4.err'; echo $? >'\(out)/4.rc'
        """
      try run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script])
      func read(_ name: String) throws -> String {
        try String(contentsOfFile: out + "/" + name, encoding: .utf8)
      }
      let firstErrors = try read("1.err")
      #expect(try read("1.rc") == "0\n", "\(firstErrors)")
      let full = try read("2.err")
      #expect(try read("2.rc") != "0\n", "\(full)")
      #expect(full.contains("No space left on device"), "\(full)")
      let thirdErrors = try read("3.err")
      #expect(try read("3.rc") == "0\n", "\(thirdErrors)")
      #expect(try setup.allowed() == [Self.a, Self.b])
      let plan = try parseObject(try read("4.out"))
      #expect((plan["retained"] as? [[String: Any]])?.map { $0["prefix"] as? String } == [Self.b])
    }
  }

  @Test func validateRejectsNegativeAndGarbageDurations() async throws {
    try await withCommandSetup { setup in
      for value in ["-1h", "soon", "1h30", "\"\""] {
        try setup.writeConfig(sources: Self.fileSource(setup, retain: value))
        let result = try setup.originGuard("validate", exits: 1)
        #expect(result.errorOutput.contains("retain_removed"), "\(value): \(result.errorOutput)")
      }
      try setup.writeConfig(sources: Self.fileSource(setup, retain: "36h"))
      let valid = try setup.originGuard("validate")
      #expect(valid.output.contains("removed prefixes kept 1d12h"), "\(valid.output)")
    }
  }
}
