import AddressSet
import AddressSources
import Foundation

/// Text forms of the lists kept in the state directory: one prefix per line for the applied
/// list; `prefix<TAB>origin` per line for a source's entries, so provenance survives a restart.
///
/// Lists run to 100,000 lines and are written or read on every sync, so both directions work
/// on bytes rather than on `String`s and `Character`s.
enum ListFileCodec {
  static func encode(_ set: DualStackSet) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity((set.v4.ranges.count + set.v6.ranges.count) * 20)
    for range in set.v4.ranges {
      range.forEachPrefix {
        append($0, to: &bytes)
        bytes.append(UInt8(ascii: "\n"))
      }
    }
    for range in set.v6.ranges {
      range.forEachPrefix {
        append($0, to: &bytes)
        bytes.append(UInt8(ascii: "\n"))
      }
    }
    return bytes
  }

  static func decodeSet(_ data: Data, path: String) throws(StateError) -> DualStackSet {
    var v4: [IPv4Prefix] = []
    var v6: [IPv6Prefix] = []
    let failure: String? = forEachLine(of: data) { line in
      if let prefix = PrefixParser.canonicalIPv4(line) {
        v4.append(prefix)
        return nil
      }
      do throws(AddressParseError) {
        switch try PrefixParser.parse(String(decoding: line, as: UTF8.self)).prefix {
        case .v4(let prefix): v4.append(prefix)
        case .v6(let prefix): v6.append(prefix)
        }
        return nil
      } catch {
        return error.description
      }
    }
    if let failure { throw .corrupt(path: path, reason: failure) }
    return DualStackSet(v4: IPv4Set(prefixes: v4), v6: IPv6Set(prefixes: v6))
  }

  static func encode(_ entries: [SourceEntry]) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(entries.count * 64)
    for entry in entries {
      switch entry.prefix {
      case .v4(let prefix): append(prefix, to: &bytes)
      case .v6(let prefix): append(prefix, to: &bytes)
      }
      bytes.append(UInt8(ascii: "\t"))
      append(entry.origin, to: &bytes)
      bytes.append(UInt8(ascii: "\n"))
    }
    return bytes
  }

  static func decodeEntries(_ data: Data, path: String) throws(StateError) -> [SourceEntry] {
    var entries: [SourceEntry] = []
    let failure: String? = forEachLine(of: data) { line in
      guard let tab = line.firstIndex(of: UInt8(ascii: "\t")) else {
        return "unreadable line \(MessageLimit.quote(String(decoding: line, as: UTF8.self)))"
      }
      let prefixBytes = UnsafeBufferPointer(rebasing: line[..<tab])
      let originText = String(
        decoding: UnsafeBufferPointer(rebasing: line[(tab + 1)...]), as: UTF8.self)
      let prefix: AnyIPPrefix? =
        PrefixParser.canonicalIPv4(prefixBytes).map(AnyIPPrefix.v4)
        ?? (try? PrefixParser.parse(String(decoding: prefixBytes, as: UTF8.self)).prefix)
      guard let prefix, let origin = decodeOrigin(Substring(originText)) else {
        return "unreadable line \(MessageLimit.quote(String(decoding: line, as: UTF8.self)))"
      }
      entries.append(SourceEntry(prefix: prefix, origin: origin))
      return nil
    }
    if let failure { throw .corrupt(path: path, reason: failure) }
    return entries
  }

  /// Calls `body` with every non-empty line; stops at the first line it returns a problem for.
  private static func forEachLine(
    of data: Data, _ body: (UnsafeBufferPointer<UInt8>) -> String?
  ) -> String? {
    data.withUnsafeBytes { raw -> String? in
      let bytes = raw.bindMemory(to: UInt8.self)
      var start = 0
      while start < bytes.count {
        var end = start
        while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
        if end > start, let problem = body(UnsafeBufferPointer(rebasing: bytes[start..<end])) {
          return problem
        }
        start = end + 1
      }
      return nil
    }
  }

  private static func append<A: IPAddress>(_ prefix: IPPrefix<A>, to bytes: inout [UInt8]) {
    prefix.network.appendText(to: &bytes)
    bytes.append(UInt8(ascii: "/"))
    appendDecimal(prefix.length, to: &bytes)
  }

  private static func appendDecimal(_ value: Int, to bytes: inout [UInt8]) {
    if value >= 10 { appendDecimal(value / 10, to: &bytes) }
    bytes.append(UInt8(ascii: "0") + UInt8(value % 10))
  }

  private static func append(_ origin: Origin, to bytes: inout [UInt8]) {
    switch origin {
    case .configuration: bytes.append(contentsOf: "config".utf8)
    case .file(let path, let line):
      bytes.append(contentsOf: "file\t".utf8)
      appendDecimal(line, to: &bytes)
      bytes.append(UInt8(ascii: "\t"))
      bytes.append(contentsOf: path.utf8)
    case .url(let url, let line):
      bytes.append(contentsOf: "url\t\(line.map(String.init) ?? "-")\t\(url)".utf8)
    case .cdnDomain(let domain): bytes.append(contentsOf: "domain\t\(domain)".utf8)
    case .esaSite(let site, let list): bytes.append(contentsOf: "esa\t\(list)\t\(site)".utf8)
    case .retained(let removedAt, let until):
      let seconds = [removedAt, until].map { String(Int64(($0.timeIntervalSince1970).rounded())) }
      bytes.append(contentsOf: "retained\t\(seconds[0])\t\(seconds[1])".utf8)
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
    case ("retained", 3):
      guard let removedAt = Int64(fields[1]), let until = Int64(fields[2]) else { return nil }
      return .retained(
        removedAt: Date(timeIntervalSince1970: TimeInterval(removedAt)),
        until: Date(timeIntervalSince1970: TimeInterval(until)))
    default: return nil
    }
  }
}
