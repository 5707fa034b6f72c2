import AddressSet
import AddressSources
import Foundation
import Testing

@testable import OriginGuard

#if canImport(Glibc)
  import Glibc
#endif

/// The state directory and the files origin-guard replaces hold only what origin-guard wrote:
/// no rename over a device, FIFO or link, no deleting what is not ours, no reading what
/// another user could have written. Everything here happens in a temporary directory.
@Suite("State safety")
struct StateSafetyTests {
  static let nobody: uid_t = 65534
  static let hex = String(repeating: "ab", count: 32)

  static func kind(_ path: String) -> FileKind? { FileKind.at(path) }

  static func unsafeProblem(_ body: () throws -> Void) -> String? {
    do {
      try body()
      return nil
    } catch StateError.unsafe(let error) {
      return error.description
    } catch {
      return nil
    }
  }

  static func savedStore(_ directory: TemporaryStateDirectory) throws -> StateStore {
    let store = directory.store
    try store.save(
      applied: addresses("192.0.2.0/24"), sources: [StateStoreTests.snapshot()], table: "t",
      generation: 1, bootID: "b", at: testEpoch)
    return store
  }

  // MARK: - Item 0: never rename over what is not a regular file

  @Test func theMetricsFileIsNotRenamedOverAFIFOOrASymbolicLink() throws {
    let directory = try TemporaryStateDirectory()
    let fifo = directory.path + "/collector.prom"
    #expect(mkfifo(fifo, 0o644) == 0)
    #expect(throws: StateError.self) {
      try MetricsFile(path: fifo).write(record: RunRecord(), kernel: .init())
    }
    #expect(Self.kind(fifo) == .fifo)

    let target = directory.path + "/target.txt"
    try Data("keep\n".utf8).write(to: URL(fileURLWithPath: target))
    let link = directory.path + "/link.prom"
    try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
    do {
      try MetricsFile(path: link).write(record: RunRecord(), kernel: .init())
      Issue.record("a metrics file that is a symbolic link was replaced")
    } catch {
      #expect("\(error)".contains("\(link) is a symbolic link"))
      #expect("\(error)".contains("will not replace"))
    }
    #expect(Self.kind(link) == .symbolicLink)
    #expect(try String(contentsOfFile: target, encoding: .utf8) == "keep\n")
    // And no temporary file is left beside them.
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == [
        "collector.prom", "link.prom", "target.txt",
      ])
  }

  @Test func stateFilesAreNotRenamedOverAFIFOOrALink() throws {
    let directory = try TemporaryStateDirectory()
    let store = directory.store
    try store.prepare()
    #expect(mkfifo(store.lastRunPath, 0o600) == 0)
    #expect(throws: StateError.self) { try store.saveRunRecord(RunRecord()) }
    #expect(Self.kind(store.lastRunPath) == .fifo)

    try FileManager.default.createSymbolicLink(
      atPath: store.headerPath, withDestinationPath: "/etc/hostname")
    #expect(throws: StateError.self) {
      try store.save(
        applied: addresses("192.0.2.0/24"), sources: [], table: "t", generation: 1, bootID: "b",
        at: testEpoch)
    }
    #expect(Self.kind(store.headerPath) == .symbolicLink)
  }

  @Test func theFetchStoreDoesNotRenameOverAFIFO() async throws {
    let directory = try TemporaryStateDirectory()
    let store = FileConditionalFetchStore(directory: directory.path + "/http")
    try FileManager.default.createDirectory(
      atPath: store.directory, withIntermediateDirectories: true)
    let fifo = store.directory + "/url-key.json"
    #expect(mkfifo(fifo, 0o600) == 0)
    let document = RememberedDocument(
      url: "https://x.example/", etag: "\"1\"", lastModified: nil, entries: [],
      fetchedAt: testEpoch)
    await #expect(throws: LocalFileError.self) { try await store.save(document, key: "url-key") }
    #expect(Self.kind(fifo) == .fifo)
    // Loading it does not hang on the FIFO either: it is refused.
    await #expect(throws: LocalFileError.self) { _ = try await store.load(key: "url-key") }
  }

  // MARK: - Item 1: delete only what origin-guard wrote

  @Test func purgeRefusesADirectoryWithFilesItDidNotWriteAndRemovesNothing() throws {
    let directory = try TemporaryStateDirectory()
    let store = try Self.savedStore(directory)
    for name in ["config.yaml", "alibaba.ini", "extra.txt"] {
      try Data("mine\n".utf8).write(to: URL(fileURLWithPath: store.directory + "/" + name))
    }
    try FileManager.default.createDirectory(
      atPath: store.directory + "/sub", withIntermediateDirectories: false)
    let before = try FileManager.default.subpathsOfDirectory(atPath: store.directory).sorted()

    do {
      try store.purge()
      Issue.record("purge removed files from a directory it shares")
    } catch {
      let text = "\(error)"
      #expect(text.contains("4 file(s) origin-guard did not write"))
      #expect(text.contains("\"alibaba.ini\", \"config.yaml\", \"extra.txt\", \"sub\""))
      #expect(text.contains("nothing was removed"))
    }
    #expect(try FileManager.default.subpathsOfDirectory(atPath: store.directory).sorted() == before)
  }

  @Test func purgeRemovesExactlyItsOwnFilesButTheLock() async throws {
    let directory = try TemporaryStateDirectory()
    let store = try Self.savedStore(directory)
    try store.saveRunRecord(RunRecord())
    let lock = try RunLock(path: store.lockPath, wait: false)
    let http = FileConditionalFetchStore(directory: store.fetchStoreDirectory)
    try await http.save(
      RememberedDocument(
        url: "https://x.example/", etag: "\"1\"", lastModified: nil, entries: [],
        fetchedAt: testEpoch),
      key: "url-0123abcd")
    try FileManager.default.createDirectory(
      atPath: store.bootstrapDirectory, withIntermediateDirectories: false,
      attributes: [.posixPermissions: 0o700])
    for path in [
      store.bootstrapDirectory + "/rollback.json", store.bootstrapDirectory + "/previous.txt",
      store.confirmationPath, store.headerPath + ".tmp-123",
      store.directory + "/lists/\(Self.hex).txt.tmp-9",
    ] {
      try Data("x".utf8).write(to: URL(fileURLWithPath: path))
    }
    #expect(store.markUnsaved(checksum: "sha256:" + Self.hex))
    // A link named like one of our lists: the link goes, never what it points to.
    let outside = directory.path + "/important.txt"
    try Data("keep\n".utf8).write(to: URL(fileURLWithPath: outside))
    try FileManager.default.createSymbolicLink(
      atPath: store.directory + "/lists/" + String(repeating: "cd", count: 32) + ".txt",
      withDestinationPath: outside)

    try store.purge()

    #expect(try FileManager.default.contentsOfDirectory(atPath: store.directory) == ["lock"])
    #expect(try String(contentsOfFile: outside, encoding: .utf8) == "keep\n")
    withExtendedLifetime(lock) {}
  }

  @Test func aSyncRemovesOnlyListFilesByNameFromLists() throws {
    let directory = try TemporaryStateDirectory()
    let store = try Self.savedStore(directory)
    let lists = store.directory + "/lists"
    let strangers = ["notes.txt", "README", String(repeating: "0", count: 64) + ".txt.bak"]
    for name in strangers {
      try Data("mine\n".utf8).write(to: URL(fileURLWithPath: lists + "/" + name))
    }
    let stale = lists + "/" + Self.hex + ".txt"
    try Data("10.0.0.0/8\n".utf8).write(to: URL(fileURLWithPath: stale))

    try store.save(
      applied: addresses("198.51.100.0/24"), sources: [StateStoreTests.snapshot()], table: "t",
      generation: 2, bootID: "b", at: testEpoch)

    let left = Set(try FileManager.default.contentsOfDirectory(atPath: lists))
    #expect(left.isSuperset(of: strangers))
    #expect(!left.contains(Self.hex + ".txt"), "an unreferenced list of ours is removed")
  }

  @Test func aStateDirectoryOrListsThatIsASymbolicLinkIsRefused() throws {
    let directory = try TemporaryStateDirectory()
    let real = directory.path + "/real"
    try FileManager.default.createDirectory(atPath: real, withIntermediateDirectories: false)
    try Data("mine\n".utf8).write(to: URL(fileURLWithPath: real + "/extra.txt"))
    try FileManager.default.createSymbolicLink(
      atPath: directory.path + "/state", withDestinationPath: real)
    let store = directory.store
    let problem = try #require(Self.unsafeProblem { try store.prepare() })
    #expect(problem.contains("is a symbolic link (to \(real))"))
    #expect(Self.unsafeProblem { try store.purge() } != nil)
    #expect(try FileManager.default.contentsOfDirectory(atPath: real) == ["extra.txt"])

    let other = try TemporaryStateDirectory()
    let saved = try Self.savedStore(other)
    let elsewhere = other.path + "/elsewhere"
    try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: false)
    try Data("mine\n".utf8).write(to: URL(fileURLWithPath: elsewhere + "/\(Self.hex).txt"))
    try FileManager.default.removeItem(atPath: saved.directory + "/lists")
    try FileManager.default.createSymbolicLink(
      atPath: saved.directory + "/lists", withDestinationPath: elsewhere)
    #expect(Self.unsafeProblem { _ = try saved.loadHeader() }?.contains("/lists") == true)
    #expect(throws: StateError.self) {
      try saved.save(
        applied: addresses("198.51.100.0/24"), sources: [], table: "t", generation: 2,
        bootID: "b", at: testEpoch)
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere) == ["\(Self.hex).txt"])
  }

  @Test(arguments: [
    "/", "/etc", "/etc/", "/var", "/var/lib", "/var//lib/.", "/usr", "/home", "/root", "/tmp",
    "/var/lib/origin-guard/..",
  ])
  func aSystemDirectoryIsNoStateDirectory(_ path: String) throws {
    #expect(StateDirectoryPolicy.problem(path) != nil)
    #expect(Self.unsafeProblem { try StateStore(directory: path).purge() } != nil)
    let yaml =
      "state_dir: \(path)\nsources:\n  - name: s\n    type: static\n    addresses: [192.0.2.0/24]\n"
    do {
      _ = try ConfigurationLoader.parse(yaml: yaml, path: "config.yaml")
      Issue.record("state_dir \(path) was accepted")
    } catch {
      #expect(error.problems.map(\.keyPath) == ["state_dir"])
      #expect(error.description.contains("a directory of its own"))
    }
  }

  @Test func anOrdinaryStateDirectoryIsAccepted() {
    for path in ["/var/lib/origin-guard", "/srv/origin-guard", "/tmp/og-state", "/home/og/state"] {
      #expect(StateDirectoryPolicy.problem(path) == nil, "\(path)")
    }
  }

  // MARK: - Item 4: nothing another user could have written is read

  @Test func aStateDirectoryWritableByOthersIsRefusedNotChmodded() throws {
    let directory = try TemporaryStateDirectory()
    let store = try Self.savedStore(directory)
    #expect(chmod(store.directory, 0o777) == 0)
    let problem = try #require(Self.unsafeProblem { _ = try store.loadHeader() })
    #expect(problem.contains("writable by group or others (mode 0777)"))
    #expect(problem.contains("chown root: \(store.directory) && chmod 700 \(store.directory)"))
    #expect(Self.unsafeProblem { try store.prepare() } != nil)
    #expect(Self.unsafeProblem { _ = try store.loadRunRecord() } != nil)
    var status = stat()
    #expect(stat(store.directory, &status) == 0 && status.st_mode & 0o777 == 0o777)
  }

  @Test func filesOwnedByAnotherUserOrLinkedAreRefused() throws {
    let directory = try TemporaryStateDirectory()
    let store = try Self.savedStore(directory)
    let header = try #require(try store.loadHeader())
    #expect(chown(store.headerPath, Self.nobody, Self.nobody) == 0)
    let problem = try #require(Self.unsafeProblem { _ = try store.loadHeader() })
    #expect(problem.contains("owned by uid 65534"))
    #expect(chown(store.headerPath, 0, 0) == 0)

    let list = store.directory + "/lists/" + header.applied.file
    #expect(chown(list, Self.nobody, Self.nobody) == 0)
    #expect(Self.unsafeProblem { _ = try store.loadApplied(header) } != nil)

    try FileManager.default.removeItem(atPath: list)
    let planted = directory.path + "/planted.txt"
    try Data("192.0.2.66/32\n".utf8).write(to: URL(fileURLWithPath: planted))
    try FileManager.default.createSymbolicLink(atPath: list, withDestinationPath: planted)
    #expect(
      Self.unsafeProblem { _ = try store.loadApplied(header) }?.contains("symbolic link") == true)

    try store.saveRunRecord(RunRecord())
    #expect(chown(store.lastRunPath, Self.nobody, Self.nobody) == 0)
    #expect(Self.unsafeProblem { _ = try store.loadRunRecord() }?.contains("owned by uid") == true)
  }

  @Test func aDirectoryAboveTheStateDirectoryWritableByOthersIsRefused() throws {
    let directory = try TemporaryStateDirectory()
    #expect(chmod(directory.path, 0o777) == 0)
    let problem = try #require(Self.unsafeProblem { try directory.store.prepare() })
    #expect(problem.contains("the directory above it, \(directory.path), is writable"))
    #expect(chmod(directory.path, 0o1777) == 0)  // sticky, like /tmp: fine
    try directory.store.prepare()
  }

  @Test func aLockFileOwnedByAnotherUserIsRefused() throws {
    let directory = try TemporaryStateDirectory()
    let store = directory.store
    try store.prepare()
    #expect(FileManager.default.createFile(atPath: store.lockPath, contents: nil))
    #expect(chown(store.lockPath, Self.nobody, Self.nobody) == 0)
    #expect(throws: StateError.self) { _ = try RunLock(path: store.lockPath, wait: false) }
  }

  // MARK: - Item 6: applied but not saved

  @Test func anUnsavedMarkerNamesTheAppliedListAndASaveRemovesIt() throws {
    let directory = try TemporaryStateDirectory()
    let store = try Self.savedStore(directory)
    let checksum = StateStore.checksum(of: addresses("198.51.100.0/24"))
    #expect(store.markUnsaved(checksum: checksum))
    #expect(store.unsavedChecksum() == checksum)
    _ = try Self.savedStore(directory)
    #expect(store.unsavedChecksum() == nil)
  }
}

@Suite("Reconciler: state safety")
struct ReconcilerStateSafetyTests {
  @Test func aCorruptHeaderIsReportedOncePerCycle() async throws {
    let h = try Harness()
    h.source.list("192.0.2.0/24")
    _ = try await h.sync()
    try Data("garbage".utf8).write(to: URL(fileURLWithPath: h.store.headerPath))

    _ = try await h.sync()

    #expect(h.logs.warnings.filter { $0.contains("state.json is corrupt") }.count == 1)
  }

  @Test func aSyncWhoseStateCannotBeSavedSaysTheKernelWasUpdated() async throws {
    let h = try Harness()
    h.source.list("192.0.2.0/24")
    _ = try await h.sync()
    // A FIFO where the new list's file goes stands in for a full disk: the save fails after
    // the commit (the end-to-end test fills a real tmpfs).
    let grown = addresses("192.0.2.0/24", "198.51.100.0/24")
    let file = String(StateStore.checksum(of: grown).dropFirst("sha256:".count)) + ".txt"
    #expect(mkfifo(h.store.directory + "/lists/" + file, 0o600) == 0)
    h.source.list("192.0.2.0/24", "198.51.100.0/24")

    let error = try #require(await h.syncFailure())

    guard case .appliedButNotSaved(_, _, let added, let removed) = error else {
      Issue.record("expected appliedButNotSaved, got \(error)")
      return
    }
    #expect((added, removed) == (1, 0))
    #expect(error.exitCode == .appliedNotSaved)
    #expect(error.description.contains("the kernel WAS updated"))
    #expect(error.description.contains("run `origin-guard sync` again"))
    #expect(try h.kernelSet() == grown)
    #expect(h.store.unsavedChecksum() == StateStore.checksum(of: grown))
  }
}
