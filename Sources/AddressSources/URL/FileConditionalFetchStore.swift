import Foundation

/// Keeps remembered documents as small JSON files in a directory (the reconciler's state
/// directory), one file per key, written atomically and readable by the owner only.
public struct FileConditionalFetchStore: ConditionalFetchStore {
  public let directory: String

  public init(directory: String) {
    self.directory = directory
  }

  private func path(for key: String) -> String {
    // Keys are ours (source name and a hash), but keep them file-name safe anyway.
    let safe = key.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" }
    return directory + "/" + String(safe) + ".json"
  }

  public func load(key: String) async throws -> RememberedDocument? {
    let path = path(for: key)
    guard FileManager.default.fileExists(atPath: path) else { return nil }
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .iso8601
    return try decoder.decode(RememberedDocument.self, from: data)
  }

  public func save(_ document: RememberedDocument, key: String) async throws {
    try FileManager.default.createDirectory(
      atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    let encoder = JSONEncoder()
    encoder.dateEncodingStrategy = .iso8601
    encoder.outputFormatting = [.sortedKeys]
    let data = try encoder.encode(document)
    let path = path(for: key)
    let temporary = path + ".tmp-\(UUID().uuidString)"
    guard
      FileManager.default.createFile(
        atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600])
    else {
      throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: temporary])
    }
    // rename(2) replaces the old file in one step: a crash leaves the old or the new, never half.
    guard rename(temporary, path) == 0 else {
      let code = errno
      try? FileManager.default.removeItem(atPath: temporary)
      throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
    }
  }
}
