import AddressSources

/// The names of the files origin-guard writes in its state directory: what `purge` and the
/// clean-up after a sync may delete. Anything else there is someone else's.
enum StateFileNames {
  static let header = "state.json"
  static let runRecord = "last-run.json"
  static let outputLedger = "outputs.json"
  static let watchRecord = "watch.json"
  static let confirmation = "confirm"
  /// What the sources stopped listing and is still allowed (`retain_removed`).
  static let grace = "grace.json"
  static let lock = "lock"
  static let lists = "lists"
  static let fetchStore = "http"
  static let bootstrap = "bootstrap"
  static let unsavedPrefix = "unsaved-"

  /// `lists/<64 hex digits>.txt`: named by the checksum of the content.
  static func isList(_ name: String) -> Bool {
    guard name.hasSuffix(".txt") else { return false }
    return isHexDigest(name.dropLast(4))
  }

  static func isListTemporary(_ name: String) -> Bool {
    guard let range = name.range(of: ".tmp-") else { return false }
    let base = String(name[..<range.lowerBound])
    return isList(base) && isTemporary(name, of: base)
  }

  /// `<name>.tmp-<pid>`, as `AtomicReplacement` names its temporary files.
  static func isTemporary(_ candidate: String, of name: String) -> Bool {
    let prefix = name + ".tmp-"
    guard candidate.hasPrefix(prefix) else { return false }
    let suffix = candidate.dropFirst(prefix.count)
    return !suffix.isEmpty && suffix.allSatisfy(\.isASCIIDigit)
  }

  /// `unsaved-<64 hex digits>`: the checksum of a list applied but not saved.
  static func unsavedChecksum(_ name: String) -> String? {
    guard name.hasPrefix(unsavedPrefix) else { return nil }
    let digest = name.dropFirst(unsavedPrefix.count)
    return isHexDigest(digest) ? "sha256:" + digest : nil
  }

  /// Files origin-guard writes directly in the state directory (`lock` included: it is kept).
  static func isTopLevelFile(_ name: String) -> Bool {
    [header, runRecord, outputLedger, watchRecord, confirmation, grace, lock].contains(name)
      || [header, runRecord, outputLedger, watchRecord, confirmation, grace].contains {
        isTemporary(name, of: $0)
      }
      || unsavedChecksum(name) != nil
  }

  /// What `bootstrap` keeps in `bootstrap/`: its record and lists.
  static func isBootstrapFile(_ name: String) -> Bool {
    let base = name.range(of: ".tmp-").map { String(name[..<$0.lowerBound]) } ?? name
    guard base.hasSuffix(".json") || base.hasSuffix(".txt"), !base.hasPrefix(".") else {
      return false
    }
    return base == name || isTemporary(name, of: base)
  }

  private static func isHexDigest(_ text: Substring) -> Bool {
    text.utf8.count == 64
      && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
  }
}

extension Character {
  fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
