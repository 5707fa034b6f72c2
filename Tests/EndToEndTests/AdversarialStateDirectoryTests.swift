import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The state directory attacked with the built binary: a clumsy operator sharing it with
/// other files or pointing it through links, a hostile local user planting the boot-time
/// list, a full disk. Each test runs in a throwaway namespace and a temporary directory.
@Suite("Adversarial: state directory", .enabled(if: KernelTests.enabled))
struct AdversarialStateDirectoryTests {
  static let nobody: uid_t = 65534

  /// A configuration with one file source and `state_dir`, mode 0600.
  static func writeConfig(_ setup: CommandSetup, stateDirectory: String) throws {
    let yaml = """
      sources:
      \(setup.fileSource)
      state_dir: \(stateDirectory)
      metrics_file: \(setup.metricsPath)

      """
    try Data(yaml.utf8).write(to: URL(fileURLWithPath: setup.configPath))
    #expect(chmod(setup.configPath, 0o600) == 0)
  }

  static func tree(_ path: String) throws -> [String] {
    try FileManager.default.subpathsOfDirectory(atPath: path).sorted()
  }

  static func write(_ text: String, to path: String) throws {
    try FileManager.default.createDirectory(
      atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
  }

  /// The issue's scenario: `state_dir` shared with the operator's own files.
  @Test func purgeStateLeavesFilesItDidNotWrite() async throws {
    try await withCommandSetup { setup in
      let shared = setup.directory + "/shared"
      try Self.write("sources: []\n", to: shared + "/config.yaml")
      try Self.write("[default]\naccess_key_id = x\n", to: shared + "/alibaba.ini")
      try Self.write("192.0.2.1\n", to: shared + "/extra.txt")
      try Self.write("keep\n", to: shared + "/sub/inner.txt")
      #expect(chmod(shared, 0o700) == 0)
      try Self.writeConfig(setup, stateDirectory: shared)
      try setup.writeList(["203.0.113.0/24"])
      try setup.originGuard("sync")

      let refused = try setup.originGuard("teardown", "--purge-state", exits: 1)
      #expect(refused.errorOutput.contains("origin-guard did not write"), "\(refused.errorOutput)")
      #expect(refused.errorOutput.contains("\"alibaba.ini\""))
      #expect(refused.errorOutput.contains("nothing was removed"))
      for name in ["config.yaml", "alibaba.ini", "extra.txt", "sub/inner.txt", "state.json"] {
        #expect(FileManager.default.fileExists(atPath: shared + "/" + name), "\(name) is gone")
      }
      // Refused before the kernel was touched.
      #expect(try setup.allowed() == ["203.0.113.0/24"])
    }
  }

  @Test func aStateDirectoryThatIsASymbolicLinkIsRefused() async throws {
    try await withCommandSetup { setup in
      let real = setup.directory + "/real"
      try Self.write("mine\n", to: real + "/extra.txt")
      try Self.write("keep\n", to: real + "/sub/inner.txt")
      let link = setup.directory + "/state-link"
      try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: real)
      try Self.writeConfig(setup, stateDirectory: link)
      try setup.writeList(["203.0.113.0/24"])
      let before = try Self.tree(real)

      let sync = try setup.originGuard("sync", exits: 1)
      #expect(sync.errorOutput.contains("is a symbolic link (to \(real))"), "\(sync.errorOutput)")
      try setup.originGuard("teardown", "--purge-state", exits: 1)
      #expect(try Self.tree(real) == before)
    }
  }

  /// `lists/` turned into a link to a directory holding a file named like one of ours: an
  /// ordinary sync must neither follow it nor delete anything there.
  @Test func aListsDirectoryThatIsALinkIsNeverCleanedUp() async throws {
    try await withCommandSetup { setup in
      try setup.writeConfig()
      try setup.writeList(["203.0.113.0/24"])
      try setup.originGuard("sync")
      let elsewhere = setup.directory + "/elsewhere"
      let lookalike = String(repeating: "0", count: 64) + ".txt"
      try Self.write("mine\n", to: elsewhere + "/notes.txt")
      try Self.write("10.0.0.0/8\n", to: elsewhere + "/" + lookalike)
      let lists = setup.stateDirectory + "/lists"
      for name in try FileManager.default.contentsOfDirectory(atPath: lists) {
        try FileManager.default.copyItem(atPath: lists + "/" + name, toPath: elsewhere + "/" + name)
      }
      try FileManager.default.removeItem(atPath: lists)
      try FileManager.default.createSymbolicLink(atPath: lists, withDestinationPath: elsewhere)
      let before = try Self.tree(elsewhere)

      try setup.writeList(["198.51.100.0/24"])
      let sync = try setup.originGuard("sync", exits: 1)
      #expect(sync.errorOutput.contains("\(lists): it is a symbolic link"), "\(sync.errorOutput)")
      #expect(try Self.tree(elsewhere) == before)
      #expect(try setup.allowed() == ["203.0.113.0/24"])
    }
  }

  /// A non-root user with write access to the state directory plants the list the boot
  /// restore applies.
  @Test func anotherUserCannotChooseTheBootTimeList() async throws {
    try await withCommandSetup { setup in
      try setup.writeConfig()
      // The planted state: what a sync of 192.0.2.66 writes, then handed to nobody.
      try setup.writeList(["192.0.2.66/32"])
      try setup.originGuard("sync")
      try setup.originGuard("teardown")
      try setup.removeList()
      let state = setup.stateDirectory
      try run(["chown", "-R", "nobody:", state])
      #expect(chmod(state, 0o777) == 0)

      let open = try setup.originGuard("sync", "--from-cache", exits: 1)
      #expect(open.errorOutput.contains("writable by group or others (mode 0777)"))
      #expect(open.errorOutput.contains("chown root: \(state) && chmod 700 \(state)"))
      #expect(try setup.tables().isEmpty, "192.0.2.66 was applied")

      // Fixed as the message says, but the files are still nobody's.
      #expect(chown(state, 0, 0) == 0 && chmod(state, 0o700) == 0)
      #expect(chown(state + "/lists", 0, 0) == 0)
      let planted = try setup.originGuard("sync", "--from-cache", exits: 1)
      #expect(planted.errorOutput.contains("owned by uid 65534"), "\(planted.errorOutput)")
      #expect(try setup.tables().isEmpty, "192.0.2.66 was applied")
      let status = try setup.originGuard("status", exits: 1)
      #expect(status.errorOutput.contains("owned by uid 65534"))
    }
  }

  /// A root-owned state whose list files were swapped for links to files another user owns
  /// (with the right content, so checksums pass): nothing is read through them.
  @Test func aLinkPlantedInListsIsNotRead() async throws {
    try await withCommandSetup { setup in
      try setup.writeConfig()
      try setup.writeList(["203.0.113.0/24"])
      try setup.originGuard("sync")
      try setup.originGuard("teardown")
      try setup.removeList()
      let lists = setup.stateDirectory + "/lists"
      let planted = setup.directory + "/planted"
      try FileManager.default.createDirectory(atPath: planted, withIntermediateDirectories: false)
      for name in try FileManager.default.contentsOfDirectory(atPath: lists) {
        let path = lists + "/" + name
        try FileManager.default.moveItem(atPath: path, toPath: planted + "/" + name)
        #expect(chown(planted + "/" + name, Self.nobody, Self.nobody) == 0)
        try FileManager.default.createSymbolicLink(
          atPath: path, withDestinationPath: planted + "/" + name)
      }
      let result = try run(setup.commandLine(["sync", "--from-cache"]), check: false)
      #expect(result.status != 0)
      #expect(result.errorOutput.contains("it is a symbolic link"), "\(result.errorOutput)")
      #expect(try setup.tables().isEmpty, "a list read through a planted link was applied")
    }
  }

  /// A 64 KiB state directory (a tmpfs in a private mount namespace, gone with it): the
  /// grown list reaches the kernel, the state does not fit.
  @Test func aFullDiskSaysTheKernelWasUpdatedAndStatusKnowsItWasUs() async throws {
    try await withCommandSetup { setup in
      try setup.writeConfig()
      try setup.writeList(["203.0.113.0/24"])
      // The first list stays (no shrink guard in the way): 3,000 prefixes are added.
      let grown = ["203.0.113.0/24"] + (0..<3000).map { "10.\($0 / 128).\(($0 % 128) * 2).0/24" }
      let grownList = setup.directory + "/grown.txt"
      try Data(("# grown\n" + grown.joined(separator: "\n") + "\n").utf8).write(
        to: URL(fileURLWithPath: grownList))
      let out = setup.directory + "/out"
      try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: false)
      try FileManager.default.createDirectory(
        atPath: setup.stateDirectory, withIntermediateDirectories: false,
        attributes: [.posixPermissions: 0o700])
      func quoted(_ arguments: [String]) -> String {
        arguments.map { "'\($0)'" }.joined(separator: " ")
      }
      let script = """
        set -u
        mount -t tmpfs -o size=64k,mode=0700 tmpfs '\(setup.stateDirectory)' || exit 90
        \(quoted(setup.commandLine(["sync"]))) >'\(out)/1.out' 2>'\(out)/1.err'; echo $? >'\(out)/1.rc'
        cp '\(grownList)' '\(setup.listPath)'
        \(quoted(setup.commandLine(["sync"]))) >'\(out)/2.out' 2>'\(out)/2.err'; echo $? >'\(out)/2.rc'
        \(quoted(setup.commandLine(["status"]))) >'\(out)/3.out' 2>'\(out)/3.err'; echo $? >'\(out)/3.rc'
        """
      try run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script])
      func read(_ name: String) throws -> String {
        try String(contentsOfFile: out + "/" + name, encoding: .utf8)
      }
      let firstErrors = try read("1.err")
      #expect(try read("1.rc") == "0\n", "\(firstErrors)")
      let failed = try read("2.err")
      #expect(try read("2.rc") == "8\n", "\(failed)")
      #expect(failed.contains("the kernel WAS updated (added 3000, removed 0 prefixes"))
      #expect(failed.contains("No space left on device"))
      #expect(failed.contains("run `origin-guard sync` again"))
      #expect(try setup.elements(of: "allowed_v4").count == 3001)
      let status = try read("3.out")
      let statusErrors = try read("3.err")
      #expect(try read("3.rc") == "0\n", "\(statusErrors)")
      #expect(status.contains("yes, but that sync could not save it"), "\(status)")
      #expect(!status.contains("someone changed the set"))
    }
  }

  /// A corrupt header is one warning per run, not two.
  @Test func aCorruptHeaderIsReportedOnce() async throws {
    try await withCommandSetup { setup in
      try setup.writeConfig()
      try setup.writeList(["203.0.113.0/24"])
      try setup.originGuard("sync")
      try Data("garbage".utf8).write(
        to: URL(fileURLWithPath: setup.stateDirectory + "/state.json"))
      let result = try setup.originGuard("sync")
      let count = result.errorOutput.components(separatedBy: "state.json is corrupt").count - 1
      #expect(count == 1, "\(result.errorOutput)")
    }
  }

  @Test func validateRejectsASystemDirectoryAsStateDir() async throws {
    try await withCommandSetup { setup in
      for directory in ["/", "/etc", "/var/lib/", "/tmp"] {
        try Self.writeConfig(setup, stateDirectory: directory)
        let result = try setup.originGuard("validate", exits: 1)
        #expect(result.errorOutput.contains("state_dir"), "\(result.errorOutput)")
        #expect(result.errorOutput.contains("a directory of its own"), "\(directory)")
      }
    }
  }
}
