import Foundation

extension StateStore {
  /// The header and the list files it names, as bytes: what an unconfirmed `bootstrap` puts
  /// back. The header alone is not enough, since the bootstrap's own save removes the list
  /// files that only the earlier header named.
  public struct Snapshot: Sendable {
    var header: Data?
    var lists: [String: Data]
  }

  public func snapshot() -> Snapshot {
    let header = FileManager.default.contents(atPath: headerPath)
    var lists: [String: Data] = [:]
    if let parsed = try? loadHeader() {
      for list in [parsed.applied] + parsed.sources.values.map(\.list) {
        lists[list.file] = FileManager.default.contents(atPath: listsDirectory + "/" + list.file)
      }
    }
    return Snapshot(header: header, lists: lists)
  }

  /// Puts a snapshot back: its lists before its header, as `save` orders them, then removes
  /// the lists it does not name.
  public func restore(_ snapshot: Snapshot) throws(StateError) {
    try prepare()
    for (file, data) in snapshot.lists.sorted(by: { $0.key < $1.key }) {
      try AtomicFile.write(data, to: listsDirectory + "/" + file)
    }
    if let header = snapshot.header {
      try AtomicFile.write(header, to: headerPath)
    } else {
      try? FileManager.default.removeItem(atPath: headerPath)
    }
    removeUnreferencedLists(keeping: Array(snapshot.lists.keys))
  }
}
