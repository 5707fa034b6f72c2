import AddressSet
import AddressSources
import Foundation

/// Text forms of the lists kept in the state directory: one prefix per line for the applied
/// list; `prefix<TAB>origin` per line for a source's entries, so provenance survives a restart.
enum ListFileCodec {
  static func encode(_ set: DualStackSet) -> Data {
    var text = ""
    text.reserveCapacity((set.v4.ranges.count + set.v6.ranges.count) * 20)
    for prefix in set.v4.prefixes { text += prefix.description + "\n" }
    for prefix in set.v6.prefixes { text += prefix.description + "\n" }
    return Data(text.utf8)
  }

  static func decodeSet(_ data: Data, path: String) throws(StateError) -> DualStackSet {
    var prefixes: [AnyIPPrefix] = []
    for line in lines(of: data) {
      do {
        prefixes.append(try PrefixParser.parse(line).prefix)
      } catch {
        throw .corrupt(path: path, reason: error.description)
      }
    }
    return DualStackSet(prefixes: prefixes)
  }

  static func encode(_ entries: [SourceEntry]) -> Data {
    var text = ""
    for entry in entries { text += "\(entry.prefix)\t\(encode(entry.origin))\n" }
    return Data(text.utf8)
  }

  static func decodeEntries(_ data: Data, path: String) throws(StateError) -> [SourceEntry] {
    var entries: [SourceEntry] = []
    for line in lines(of: data) {
      let fields = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
      guard fields.count == 2, let prefix = try? PrefixParser.parse(String(fields[0])).prefix,
        let origin = decodeOrigin(fields[1])
      else { throw .corrupt(path: path, reason: "unreadable line \(String(reflecting: line))") }
      entries.append(SourceEntry(prefix: prefix, origin: origin))
    }
    return entries
  }

  private static func lines(of data: Data) -> [String] {
    String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
  }

  private static func encode(_ origin: Origin) -> String {
    switch origin {
    case .configuration: "config"
    case .file(let path, let line): "file\t\(line)\t\(path)"
    case .url(let url, let line): "url\t\(line.map(String.init) ?? "-")\t\(url)"
    case .cdnDomain(let domain): "domain\t\(domain)"
    case .esaSite(let site, let list): "esa\t\(list)\t\(site)"
    }
  }

  private static func decodeOrigin(_ text: Substring) -> Origin? {
    let fields = text.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false).map(
      String.init)
    switch (fields.first, fields.count) {
    case ("config", 1): return .configuration
    case ("file", 3): return Int(fields[1]).map { .file(path: fields[2], line: $0) }
    case ("url", 3): return .url(fields[2], line: Int(fields[1]))
    case ("domain", 2): return .cdnDomain(fields[1])
    case ("esa", 3): return .esaSite(siteID: fields[2], list: fields[1])
    default: return nil
    }
  }
}
