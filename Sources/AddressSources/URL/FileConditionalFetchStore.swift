import Foundation

/// Keeps remembered documents as small JSON files in a directory (the reconciler's state
/// directory), one file per key, written atomically and readable by the owner only. A
/// remembered document answers a 304, so it decides what is allowed as much as a fresh one:
/// files someone else could have written are refused (`FileTrust`).
public struct FileConditionalFetchStore: ConditionalFetchStore {
  public let directory: String

  public init(directory: String) {
    self.directory = directory
  }

  /// Keys are ours (source name and a hash), but keep them file-name safe anyway.
  private static func isSafe(_ character: Character) -> Bool {
    character.isLetter || character.isNumber || character == "-" || character == "_"
  }

  private func path(for key: String) -> String {
    directory + "/" + String(key.map { Self.isSafe($0) ? $0 : "_" }) + ".json"
  }

  /// Whether `name` is a file this store writes (a document or its temporary file), for
  /// `teardown --purge-state`, which removes nothing else.
  public static func isStoreFileName(_ name: String) -> Bool {
    var stem = Substring(name)
    if let range = name.range(of: ".json.tmp-") {
      let pid = name[range.upperBound...]
      guard !pid.isEmpty, pid.allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
      stem = name[..<range.lowerBound]
    } else {
      guard name.hasSuffix(".json") else { return false }
      stem = stem.dropLast(".json".count)
    }
    return !stem.isEmpty && stem.allSatisfy(isSafe)
  }

  public func load(key: String) async throws -> RememberedDocument? {
    try FileTrust.checkDirectory(directory, ancestors: false)
    guard let data = try FileTrust.read(path(for: key)) else { return nil }
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .iso8601
    return try decoder.decode(RememberedDocument.self, from: data)
  }

  public func save(_ document: RememberedDocument, key: String) async throws {
    try FileManager.default.createDirectory(
      atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    try FileTrust.checkDirectory(directory, ancestors: false)
    let encoder = JSONEncoder()
    encoder.dateEncodingStrategy = .iso8601
    encoder.outputFormatting = [.sortedKeys]
    // A crash leaves the old or the new document, never half; nothing but a regular file is
    // ever replaced.
    try AtomicReplacement.write(try encoder.encode(document), to: path(for: key), durable: false)
  }
}
