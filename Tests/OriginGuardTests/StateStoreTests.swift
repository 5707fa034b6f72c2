import AddressSet
import AddressSources
import Foundation
import Testing

@testable import OriginGuard

/// A temporary state directory, removed when the value goes away.
final class TemporaryStateDirectory: Sendable {
  let path: String

  init() throws {
    path = FileManager.default.temporaryDirectory.path + "/origin-guard-state-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  }

  deinit { try? FileManager.default.removeItem(atPath: path) }

  var store: StateStore { StateStore(directory: path + "/state") }
}

/// The path and reason of the `.corrupt` error `body` throws; nil when it throws nothing or
/// something else.
func corruption<T>(_ body: () throws -> T) -> (path: String, reason: String)? {
  do {
    _ = try body()
    return nil
  } catch {
    if case StateError.corrupt(let path, let reason) = error { return (path, reason) }
    return nil
  }
}

@Suite("State store")
struct StateStoreTests {
  static let entries = [
    SourceEntry(prefix: prefix("192.0.2.0/24"), origin: .configuration),
    SourceEntry(
      prefix: prefix("198.51.100.0/24"), origin: .file(path: "/etc/lists/a b.txt", line: 3)),
    SourceEntry(
      prefix: prefix("203.0.113.0/24"), origin: .url("https://example.com/x?y=1", line: 7)),
    SourceEntry(
      prefix: prefix("100.64.0.0/10"), origin: .url("https://example.com/x.json", line: nil)),
    SourceEntry(prefix: prefix("2001:db8::/48"), origin: .cdnDomain("www.example.com")),
    SourceEntry(prefix: prefix("2001:db8:1::/48"), origin: .esaSite(siteID: "12345", list: "IPv6")),
  ]

  static func snapshot(
    _ name: String = "cdn", entries: [SourceEntry] = entries, checksum: String = "sha256:aa"
  ) -> SourceSnapshot {
    SourceSnapshot(
      name: name, kind: "alibaba-cdn", fetchedAt: testEpoch, version: "etag \"x\"",
      contentChecksum: checksum, entries: entries)
  }

  @Test func saveAndLoadRoundTrip() throws {
    let directory = try TemporaryStateDirectory()
    let store = directory.store
    let applied = DualStackSet(prefixes: Self.entries.map(\.prefix))

    try store.save(
      applied: applied, sources: [Self.snapshot()], table: "origin_guard", generation: 42,
      bootID: "boot net", at: testEpoch + 5)

    let header = try #require(try store.loadHeader())
    #expect(header.format == StateHeader.currentFormat)
    #expect(header.savedAt == testEpoch + 5)
    #expect(header.table == "origin_guard")
    #expect(header.generation == 42)
    #expect(header.bootID == "boot net")
    #expect(header.applied.count == applied.prefixCount)
    #expect(header.applied.checksum == StateStore.checksum(of: applied))
    #expect(try store.loadApplied(header) == applied)
    let record = try #require(header.sources["cdn"])
    #expect(record.kind == "alibaba-cdn")
    #expect(record.fetchedAt == testEpoch)
    #expect(record.version == "etag \"x\"")
    #expect(record.contentChecksum == "sha256:aa")
    #expect(record.list.count == Self.entries.count)
    #expect(try store.loadEntries(record) == Self.entries)
  }

  @Test func savedFilesAreOwnerOnlyAndNoTemporaryFileIsLeft() throws {
    let directory = try TemporaryStateDirectory()
    let store = directory.store
    try store.save(
      applied: addresses("192.0.2.0/24"), sources: [Self.snapshot()], table: "t", generation: 1,
      bootID: "b", at: testEpoch)

    let names = try FileManager.default.contentsOfDirectory(atPath: store.directory).sorted()
    #expect(names == ["lists", "state.json"])
    let lists = try FileManager.default.contentsOfDirectory(atPath: store.listsDirectory)
    #expect(lists.count == 2)
    #expect(lists.allSatisfy { $0.hasSuffix(".txt") && !$0.contains(".tmp-") })
    let attributes = try FileManager.default.attributesOfItem(atPath: store.headerPath)
    #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
    let directoryAttributes = try FileManager.default.attributesOfItem(atPath: store.directory)
    #expect((directoryAttributes[.posixPermissions] as? NSNumber)?.intValue == 0o700)
  }

  @Test func theAppliedListIsCanonicalTextIPv4First() throws {
    let directory = try TemporaryStateDirectory()
    let store = directory.store
    try store.save(
      applied: addresses("2001:db8::/48", "192.0.2.128/25", "192.0.2.0/25"), sources: [],
      table: "t", generation: 1, bootID: "b", at: testEpoch)
    let header = try #require(try store.loadHeader())
    let text = try String(
      contentsOfFile: store.listsDirectory + "/" + header.applied.file, encoding: .utf8)
    #expect(text == "192.0.2.0/24\n2001:db8::/48\n")
    #expect(header.applied.file == String(header.applied.checksum.dropFirst(7)) + ".txt")
  }

  @Test func noHeaderIsNil() throws {
    let directory = try TemporaryStateDirectory()
    #expect(try directory.store.loadHeader() == nil)
  }

  @Test func aHeaderThatIsNotJSONIsCorrupt() throws {
    let directory = try TemporaryStateDirectory()
    let store = directory.store
    try store.prepare()
    try Data("{\"format\": 1, \"saved_at\": ".utf8).write(
      to: URL(fileURLWithPath: store.headerPath))
    let (path, reason) = try #require(corruption { try store.loadHeader() })
    #expect(path == store.headerPath)
    #expect(reason.hasPrefix("not valid JSON"))
  }

  @Test func aHeaderOfAnotherFormatIsCorrupt() throws {
    let directory = try TemporaryStateDirectory()
    let store = directory.store
    try store.save(
      applied: addresses("192.0.2.0/24"), sources: [], table: "t", generation: 1, bootID: "b",
      at: testEpoch)
    let text = try String(contentsOfFile: store.headerPath, encoding: .utf8)
    try text.replacingOccurrences(of: "\"format\" : 1", with: "\"format\" : 2")
      .write(toFile: store.headerPath, atomically: true, encoding: .utf8)
    #expect(text.contains("\"format\" : 1"))
    #expect(corruption { try store.loadHeader() }?.reason == "unknown format 2")
  }

  @Test func aListWithABadChecksumOrMissingIsCorrupt() throws {
    let directory = try TemporaryStateDirectory()
    let store = directory.store
    try store.save(
      applied: addresses("192.0.2.0/24"), sources: [Self.snapshot()], table: "t", generation: 1,
      bootID: "b", at: testEpoch)
    let header = try #require(try store.loadHeader())
    let appliedPath = store.listsDirectory + "/" + header.applied.file
    // One changed address keeps the file parseable; only the checksum tells.
    try Data("192.0.3.0/24\n".utf8).write(to: URL(fileURLWithPath: appliedPath))
    let (path, reason) = try #require(corruption { try store.loadApplied(header) })
    #expect(path == appliedPath)
    #expect(reason == "checksum mismatch")

    let record = try #require(header.sources["cdn"])
    try FileManager.default.removeItem(atPath: store.listsDirectory + "/" + record.list.file)
    #expect(corruption { try store.loadEntries(record) }?.reason == "missing")
  }

  @Test func aListWhoseChecksumMatchesButCannotBeParsedIsCorrupt() throws {
    let directory = try TemporaryStateDirectory()
    let store = directory.store
    try store.prepare()
    let data = Data("192.0.2.0/24\tconfig\nnot a prefix\tconfig\n".utf8)
    let file = String(StateStore.checksum(data).dropFirst("sha256:".count)) + ".txt"
    try data.write(to: URL(fileURLWithPath: store.listsDirectory + "/" + file))
    let record = StateHeader.SourceRecord(
      kind: "static", fetchedAt: testEpoch, version: "v", contentChecksum: "c",
      list: .init(file: file, checksum: StateStore.checksum(data), count: 2))
    #expect(
      corruption { try store.loadEntries(record) }?.reason.contains("unreadable line") == true)
  }

  /// Only lists of ours (named by a checksum) are removed: anything else in `lists/` stays.
  @Test func listsNoHeaderNamesAreRemovedAndUnchangedListsAreKept() throws {
    let directory = try TemporaryStateDirectory()
    let store = directory.store
    try store.save(
      applied: addresses("192.0.2.0/24"), sources: [Self.snapshot()], table: "t", generation: 1,
      bootID: "b", at: testEpoch)
    let first = try #require(try store.loadHeader())
    try Data("junk".utf8).write(to: URL(fileURLWithPath: store.listsDirectory + "/junk.txt"))

    // Same source content (same checksum), another applied list.
    try store.save(
      applied: addresses("198.51.100.0/24"), sources: [Self.snapshot()], table: "t",
      generation: 2, bootID: "b", at: testEpoch)
    let second = try #require(try store.loadHeader())

    #expect(second.sources["cdn"]?.list == first.sources["cdn"]?.list)
    #expect(second.applied.file != first.applied.file)
    let files = Set(try FileManager.default.contentsOfDirectory(atPath: store.listsDirectory))
    #expect(files == [second.applied.file, second.sources["cdn"]!.list.file, "junk.txt"])
  }

  @Test func anUnchangedSourceListThatWasDamagedIsRewritten() throws {
    let directory = try TemporaryStateDirectory()
    let store = directory.store
    try store.save(
      applied: addresses("192.0.2.0/24"), sources: [Self.snapshot()], table: "t", generation: 1,
      bootID: "b", at: testEpoch)
    let record = try #require(try store.loadHeader()?.sources["cdn"])
    try FileManager.default.removeItem(atPath: store.listsDirectory + "/" + record.list.file)

    try store.save(
      applied: addresses("192.0.2.0/24"), sources: [Self.snapshot()], table: "t", generation: 1,
      bootID: "b", at: testEpoch)

    let saved = try #require(try store.loadHeader()?.sources["cdn"])
    #expect(try store.loadEntries(saved) == Self.entries)
  }

  @Test func updateGenerationRewritesOnlyGenerationAndBoot() throws {
    let directory = try TemporaryStateDirectory()
    let store = directory.store
    try store.updateGeneration(9, bootID: "x")  // no header: nothing to update
    #expect(try store.loadHeader() == nil)

    try store.save(
      applied: addresses("192.0.2.0/24"), sources: [Self.snapshot()], table: "t", generation: 1,
      bootID: "b", at: testEpoch)
    var expected = try #require(try store.loadHeader())
    try store.updateGeneration(7, bootID: "c")
    expected.generation = 7
    expected.bootID = "c"
    #expect(try store.loadHeader() == expected)
  }

  @Test func purgeForgetsEverythingButTheLock() throws {
    let directory = try TemporaryStateDirectory()
    let store = directory.store
    try store.save(
      applied: addresses("192.0.2.0/24"), sources: [Self.snapshot()], table: "t", generation: 1,
      bootID: "b", at: testEpoch)
    let lock = try RunLock(path: store.lockPath, wait: false)
    try store.saveRunRecord(RunRecord())
    try store.saveGrace(
      RemovalGrace(sources: [
        "cdn": [RetainedRemoval(set: addresses("198.51.100.0/24"), removedAt: testEpoch)]
      ]))
    // A temporary grace record a killed run left behind is ours too.
    try Data().write(to: URL(fileURLWithPath: store.directory + "/grace.json.tmp-4242"))

    try store.purge()

    #expect(try FileManager.default.contentsOfDirectory(atPath: store.directory) == ["lock"])
    withExtendedLifetime(lock) {}
  }

  @Test func runRecordRoundTripAndUnreadableRecordIsEmpty() throws {
    let directory = try TemporaryStateDirectory()
    let store = directory.store
    #expect(try store.loadRunRecord() == RunRecord())

    var record = RunRecord()
    record.attemptedAt = testEpoch
    record.result = "success"
    record.runsTotal = ["success": 3, "refused": 1]
    record.sources["cdn"] = .init(
      status: "cache", lastError: "boom", lastErrorAt: testEpoch, errorsTotal: 2,
      cacheFallbacksTotal: 1)
    try store.saveRunRecord(record)
    #expect(try store.loadRunRecord() == record)

    try Data("[1,".utf8).write(to: URL(fileURLWithPath: store.lastRunPath))
    #expect(try store.loadRunRecord() == RunRecord())
  }
}

/// The reconciler treats a damaged state as absent, says so, and the next sync repairs it.
@Suite("Reconciler: damaged state")
struct ReconcilerDamagedStateTests {
  @Test func aGarbageHeaderIsIgnoredWithAWarningAndRewritten() async throws {
    let h = try Harness()
    h.source.list("192.0.2.0/24")
    _ = try await h.sync()
    try Data("\u{0}\u{1}garbage".utf8).write(to: URL(fileURLWithPath: h.store.headerPath))

    let report = try await h.sync()

    #expect(report.plan.basis == .kernel)
    #expect(report.plan.isInSync)
    #expect(h.commitCount == 1)
    #expect(h.logs.warnings.contains { $0.contains("state.json is corrupt (not valid JSON") })
    #expect(try h.store.loadHeader()?.generation == h.generation)
    #expect(try await h.sync().plan.basis == .savedState)
  }

  @Test func aGarbageHeaderLeavesNoCacheToFallBackTo() async throws {
    let h = try Harness()
    h.source.list("192.0.2.0/24")
    _ = try await h.sync()
    try Data("{}".utf8).write(to: URL(fileURLWithPath: h.store.headerPath))
    h.source.fail()

    let error = try #require(await h.syncFailure())
    guard case .sourcesFailed(let outcomes) = error, case .failed(_, nil) = outcomes.first else {
      Issue.record("expected a source failure without cache, got \(error)")
      return
    }
    #expect(try h.kernelSet() == addresses("192.0.2.0/24"))
  }

  @Test func aDamagedCacheIsReportedWhenItWasNeeded() async throws {
    let h = try Harness()
    h.source.list("192.0.2.0/24")
    _ = try await h.sync()
    let record = try #require(try h.store.loadHeader()?.sources["cdn"])
    let path = h.store.listsDirectory + "/" + record.list.file
    try Data("192.0.2.0/24\tconfig\n".utf8).write(to: URL(fileURLWithPath: path))
    h.source.fail()

    let error = try #require(await h.syncFailure())
    guard case .sourcesFailed(let outcomes) = error, case .failed(_, nil) = outcomes.first else {
      Issue.record("expected a source failure without cache, got \(error)")
      return
    }
    #expect(h.logs.warnings.contains { $0.contains("\(path) is corrupt (checksum mismatch)") })

    #expect(await h.syncFailure(fromCache: true)?.exitCode == .sourceFailed)
    #expect(h.logs.warnings.filter { $0.contains("\(path) is corrupt") }.count == 2)
  }

  @Test func aDamagedSourceListIsNoCacheAndIsRepairedByTheNextSync() async throws {
    let h = try Harness()
    h.source.list("192.0.2.0/24")
    _ = try await h.sync()
    let record = try #require(try h.store.loadHeader()?.sources["cdn"])
    let path = h.store.listsDirectory + "/" + record.list.file
    try Data("192.0.2.0/24\tconfig\n".utf8).write(to: URL(fileURLWithPath: path))

    // The source works, with the same list: the sync must not keep pointing at the bad file.
    _ = try await h.sync()
    let repaired = try #require(try h.store.loadHeader()?.sources["cdn"])
    #expect(try h.store.loadEntries(repaired).map(\.prefix) == [prefix("192.0.2.0/24")])

    // So the cache stands in when the source fails afterwards.
    h.source.fail()
    h.clock.advance(seconds: 60)
    let report = try await h.sync()
    #expect(report.outcomes.first?.status == "cache (60s old)")
  }
}
