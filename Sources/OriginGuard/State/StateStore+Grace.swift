import Foundation

/// `grace.json` (see `GraceRecord`), read with `FileTrust`'s checks and written with
/// `AtomicReplacement` like every state file.
extension StateStore {
  var gracePath: String { directory + "/" + StateFileNames.grace }

  /// The recorded grace state; nil when there is no record. A record that is not what
  /// origin-guard writes throws `.corrupt`, one someone else could have written `.unsafe`.
  public func loadGrace() throws(StateError) -> RemovalGrace? {
    try checkDirectory()
    guard let data = try readTrusted(gracePath) else { return nil }
    let record: GraceRecord
    do {
      record = try Self.decoder.decode(GraceRecord.self, from: data)
    } catch {
      throw .corrupt(path: gracePath, reason: "not valid JSON: \(error)")
    }
    return try record.grace(path: gracePath)
  }

  /// Records `grace`; an unchanged record is not rewritten (most syncs change nothing).
  func saveGrace(_ grace: RemovalGrace) throws(StateError) {
    try prepare()
    let data: Data
    do { data = try Self.encoder.encode(GraceRecord(grace)) } catch {
      throw .corrupt(path: gracePath, reason: "cannot encode: \(error)")
    }
    if (try? readTrusted(gracePath)) == .some(data) { return }
    try AtomicFile.write(data, to: gracePath)
  }
}
