import AddressSet
import AddressSources
import Crypto
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// The state directory: the last-known-good lists and the record of the last run.
///
/// Layout: `state.json` (the header), `lists/<sha256>.txt` (content-addressed lists the header
/// names), `grace.json` (`retain_removed`), `last-run.json`, `lock`, `http/` (remembered HTTP documents), `confirm`,
/// `bootstrap/`, `unsaved-<sha256>` (see `markUnsaved`). Every file is read with `FileTrust`'s
/// checks, written with `AtomicReplacement` and deleted only by name (`StateFileNames`).
/// Lists are written before the header that names them and removed only after a header that
/// no longer names them is in place, so a crash at any moment leaves a consistent old or new
/// state.
public struct StateStore: Sendable {
  public let directory: String

  public init(directory: String) {
    self.directory = directory
  }

  var headerPath: String { directory + "/state.json" }
  var listsDirectory: String { directory + "/lists" }
  public var lockPath: String { directory + "/lock" }
  public var lastRunPath: String { directory + "/last-run.json" }
  /// `origin-guard confirm` creates it; a waiting `bootstrap` consumes it.
  public var confirmationPath: String { directory + "/confirm" }
  public var fetchStoreDirectory: String { directory + "/http" }
  /// Where `bootstrap` keeps what it needs to roll back.
  public var bootstrapDirectory: String { directory + "/bootstrap" }

  /// Creates the directory (mode 0700) and `lists/` when missing, and checks both (see
  /// `checkDirectory`): an existing directory with the wrong owner or mode is refused, never
  /// silently changed, because someone else may already have put files in it.
  public func prepare() throws(StateError) {
    try checkPolicy()
    try AtomicFile.makeDirectory(directory)
    try checkDirectory()
    try AtomicFile.makeDirectory(listsDirectory)
    try checkDirectory()
  }

  /// Refuses a state directory that origin-guard alone could not have written: a system
  /// directory, a symbolic link, one owned by another user or writable by group or others (or
  /// below a directory others can write), and the same for `lists/`, `http/` and
  /// `bootstrap/`. Nothing there yet is fine.
  public func checkDirectory() throws(StateError) {
    try checkPolicy()
    do {
      try FileTrust.checkDirectory(directory, ancestors: true)
      for subdirectory in [listsDirectory, fetchStoreDirectory, bootstrapDirectory] {
        try FileTrust.checkDirectory(subdirectory, ancestors: false)
      }
    } catch {
      throw StateError(error)
    }
  }

  private func checkPolicy() throws(StateError) {
    guard let problem = StateDirectoryPolicy.problem(directory) else { return }
    throw .unsafe(.untrusted(path: directory, problem: problem.reason, fix: problem.fix))
  }

  /// A file of the state directory, checked as `FileTrust.read` does; nil when missing.
  func readTrusted(_ path: String) throws(StateError) -> Data? {
    do {
      return try FileTrust.read(path)
    } catch {
      throw StateError(error)
    }
  }

  /// The header, or nil when there is none. A corrupt header throws `.corrupt`: the caller
  /// warns and carries on as if there were none. A directory or header someone else could have
  /// written throws `.unsafe`: the caller must stop.
  public func loadHeader() throws(StateError) -> StateHeader? {
    try checkDirectory()
    guard let data = try readTrusted(headerPath) else { return nil }
    do {
      let header = try Self.decoder.decode(StateHeader.self, from: data)
      guard header.format == StateHeader.currentFormat else {
        throw StateError.corrupt(path: headerPath, reason: "unknown format \(header.format)")
      }
      return header
    } catch let error as StateError {
      throw error
    } catch {
      throw .corrupt(path: headerPath, reason: "not valid JSON: \(error)")
    }
  }

  public func loadApplied(_ header: StateHeader) throws(StateError) -> DualStackSet {
    let (data, path) = try readList(header.applied)
    return try ListFileCodec.decodeSet(data, path: path)
  }

  public func loadEntries(_ record: StateHeader.SourceRecord) throws(StateError) -> [SourceEntry] {
    let (data, path) = try readList(record.list)
    return try ListFileCodec.decodeEntries(data, path: path)
  }

  private func readList(_ list: StateHeader.ListFile) throws(StateError) -> (Data, String) {
    let path = listsDirectory + "/" + list.file
    guard StateFileNames.isList(list.file) else {
      throw .corrupt(path: path, reason: "not a list file name")
    }
    guard let data = try readTrusted(path) else {
      throw .corrupt(path: path, reason: "missing")
    }
    guard Self.checksum(data) == list.checksum else {
      throw .corrupt(path: path, reason: "checksum mismatch")
    }
    return (data, path)
  }

  /// The checksum `applied.checksum` would get for `set`: equal sets, equal checksums.
  public static func checksum(of set: DualStackSet) -> String {
    EncodedSet(set).checksum
  }

  static func checksum(_ data: some DataProtocol) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var text: [UInt8] = Array("sha256:".utf8)
    for byte in SHA256.hash(data: data) {
      text.append(digits[Int(byte >> 4)])
      text.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: text, as: UTF8.self)
  }

  /// Records a successful sync of a list not yet encoded.
  public func save(
    applied: DualStackSet, sources: [SourceSnapshot], table: String, generation: UInt32,
    bootID: String, at date: Date, ruleset: RulesetRecord? = nil, formerTables: [String] = []
  ) throws(StateError) {
    try save(
      applied: EncodedSet(applied), sources: sources, table: table, generation: generation,
      bootID: bootID, at: date, ruleset: ruleset, formerTables: formerTables)
  }

  /// Records a successful sync: the applied list, each source's list, the generation after the
  /// commit and the boot it happened in.
  /// `ruleset` is what the sync installed, `formerTables` the tables it left behind under
  /// names the configuration no longer uses.
  public func save(
    applied: EncodedSet, sources: [SourceSnapshot], table: String, generation: UInt32,
    bootID: String, at date: Date, ruleset: RulesetRecord? = nil, formerTables: [String] = []
  ) throws(StateError) {
    try prepare()
    let previous = try? loadHeader()
    let appliedList = try writeList(
      applied.data, checksum: applied.checksum, count: applied.set.prefixCount)
    var records: [String: StateHeader.SourceRecord] = [:]
    for snapshot in sources {
      let list: StateHeader.ListFile
      if let old = previous?.sources[snapshot.name],
        old.contentChecksum == snapshot.contentChecksum,
        (try? readList(old.list)) != nil
      {
        list = old.list  // unchanged and intact: keep the file, skip re-encoding a large list
      } else {
        let data = ListFileCodec.encode(snapshot.entries)
        list = try writeList(data, checksum: Self.checksum(data), count: snapshot.entries.count)
      }
      records[snapshot.name] = StateHeader.SourceRecord(
        kind: snapshot.kind, fetchedAt: snapshot.fetchedAt, version: snapshot.version,
        contentChecksum: snapshot.contentChecksum, list: list,
        pendingUpdates: snapshot.pendingUpdates.isEmpty ? nil : snapshot.pendingUpdates)
    }
    let header = StateHeader(
      format: StateHeader.currentFormat, savedAt: date, table: table, generation: generation,
      bootID: bootID, applied: appliedList, sources: records, ruleset: ruleset,
      formerTables: formerTables.isEmpty ? nil : formerTables)
    try writeHeader(header)
    removeUnreferencedLists(keeping: [appliedList.file] + records.values.map(\.list.file))
    removeAbandonedHeaders()
    removeUnsavedMarkers()
  }

  /// Temporary headers left by a run killed mid-write. Only the lock holder writes the
  /// header, so none of them is in flight.
  private func removeAbandonedHeaders() {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    for name in names
    where [StateFileNames.header, StateFileNames.grace].contains(where: {
      StateFileNames.isTemporary(name, of: $0)
    }) {
      unlink(directory + "/" + name)
    }
  }

  /// Rewrites only the header's generation and boot id (after a sync found nothing to change
  /// but the generation had moved on because of someone else's commit).
  public func updateGeneration(_ generation: UInt32, bootID: String) throws(StateError) {
    guard var header = try loadHeader() else { return }
    guard header.generation != generation || header.bootID != bootID else { return }
    header.generation = generation
    header.bootID = bootID
    try writeHeader(header)
  }

  /// Records that `teardown` removed the table, so `status` and the next sync know it was
  /// us. Nothing to record without a header: no sync of ours to speak of.
  public func recordTeardown(at date: Date) throws(StateError) {
    guard var header = try loadHeader() else { return }
    header.tableRemovedAt = date
    try writeHeader(header)
  }

  /// Forgets everything origin-guard wrote (`teardown --purge-state`) but the lock: only the
  /// files it names (`StateFileNames`), never through a symbolic link. When anything else is
  /// there, nothing is removed: the directory may be shared with files that are not ours.
  public func purge() throws(StateError) {
    guard let contents = try purgeableContents() else { return }
    // unlink and rmdir never follow a link: a link named like one of ours goes, its target stays.
    for path in contents.files {
      guard unlink(path) == 0 || errno == ENOENT else {
        throw .io(operation: "remove \(path)", errno: errno)
      }
    }
    for path in contents.directories {
      guard rmdir(path) == 0 || errno == ENOENT else {
        throw .io(operation: "remove directory \(path)", errno: errno)
      }
    }
  }

  /// Throws what `purge` would refuse, removing nothing: for `teardown --purge-state` to check
  /// before it touches the kernel.
  public func checkPurgeable() throws(StateError) {
    _ = try purgeableContents()
  }

  private func purgeableContents() throws(StateError) -> StateDirectoryContents? {
    try checkPolicy()
    guard FileKind.at(directory) != nil else { return nil }
    try checkDirectory()
    let contents = try StateDirectoryContents(store: self)
    if !contents.unknown.isEmpty {
      throw .unknownFiles(
        directory: directory, names: Array(contents.unknown.prefix(5)),
        total: contents.unknown.count)
    }
    return contents
  }

  private func writeHeader(_ header: StateHeader) throws(StateError) {
    let data: Data
    do { data = try Self.encoder.encode(header) } catch {
      throw .corrupt(path: headerPath, reason: "cannot encode: \(error)")
    }
    try AtomicFile.write(data, to: headerPath)
  }

  private func writeList(_ data: [UInt8], checksum: String, count: Int) throws(StateError)
    -> StateHeader.ListFile
  {
    let file = String(checksum.dropFirst("sha256:".count)) + ".txt"
    let path = listsDirectory + "/" + file
    if (try? readTrusted(path)).map(Self.checksum) != checksum {
      try AtomicFile.write(data, to: path)
    }
    return StateHeader.ListFile(file: file, checksum: checksum, count: count)
  }

  func removeUnreferencedLists(keeping: [String]) {
    let keep = Set(keeping)
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: listsDirectory) else {
      return
    }
    // By name only: anything else in lists/ is not ours to delete.
    for name in names
    where !keep.contains(name)
      && (StateFileNames.isList(name) || StateFileNames.isListTemporary(name))
    {
      unlink(listsDirectory + "/" + name)
    }
  }

  static let encoder: JSONEncoder = {
    let encoder = JSONEncoder()
    encoder.dateEncodingStrategy = .iso8601
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return encoder
  }()

  static let decoder: JSONDecoder = {
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .iso8601
    return decoder
  }()
}
