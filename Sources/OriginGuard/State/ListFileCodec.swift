import AddressSet
import AddressSources
import Foundation

/// Text forms of the lists kept in the state directory: one prefix per line for the applied
/// list; `prefix<TAB>origin` per line for a source's entries, so provenance survives a restart.
///
/// Lists run to 100,000 lines and are written or read on every sync, so both directions work
/// on bytes rather than on `String`s and `Character`s.
enum ListFileCodec {
  static func encode(_ set: DualStackSet) -> Data {
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
    return Data(bytes)
  }

  static func decodeSet(_ data: Data, path: String) throws(StateError) -> DualStackSet {
    var v4: [IPv4Prefix] = []
    var v6: [IPv6Prefix] = []
    let failure: String? = forEachLine(of: data) { line in
      if let prefix = CanonicalIPv4.prefix(line) {
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

  static func encode(_ entries: [SourceEntry]) -> Data {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(entries.count * 32)
    for entry in entries {
      switch entry.prefix {
      case .v4(let prefix): append(prefix, to: &bytes)
      case .v6(let prefix): append(prefix, to: &bytes)
      }
      bytes.append(UInt8(ascii: "\t"))
      append(entry.origin, to: &bytes)
      bytes.append(UInt8(ascii: "\n"))
    }
    return Data(bytes)
  }

  static func decodeEntries(_ data: Data, path: String) throws(StateError) -> [SourceEntry] {
    var entries: [SourceEntry] = []
    let failure: String? = forEachLine(of: data) { line in
      guard let tab = line.firstIndex(of: UInt8(ascii: "\t")) else {
        return "unreadable line \(String(reflecting: String(decoding: line, as: UTF8.self)))"
      }
      let prefixBytes = UnsafeBufferPointer(rebasing: line[..<tab])
      let originText = String(
        decoding: UnsafeBufferPointer(rebasing: line[(tab + 1)...]), as: UTF8.self)
      let prefix: AnyIPPrefix? =
        CanonicalIPv4.prefix(prefixBytes).map(AnyIPPrefix.v4)
        ?? (try? PrefixParser.parse(String(decoding: prefixBytes, as: UTF8.self)).prefix)
      guard let prefix, let origin = decodeOrigin(Substring(originText)) else {
        return "unreadable line \(String(reflecting: String(decoding: line, as: UTF8.self)))"
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
    bytes.append(contentsOf: prefix.network.description.utf8)
    bytes.append(UInt8(ascii: "/"))
    bytes.append(contentsOf: String(prefix.length).utf8)
  }

  private static func append(_ origin: Origin, to bytes: inout [UInt8]) {
    switch origin {
    case .configuration: bytes.append(contentsOf: "config".utf8)
    case .file(let path, let line): bytes.append(contentsOf: "file\t\(line)\t\(path)".utf8)
    case .url(let url, let line):
      bytes.append(contentsOf: "url\t\(line.map(String.init) ?? "-")\t\(url)".utf8)
    case .cdnDomain(let domain): bytes.append(contentsOf: "domain\t\(domain)".utf8)
    case .esaSite(let site, let list): bytes.append(contentsOf: "esa\t\(list)\t\(site)".utf8)
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

/// The one form `encode` writes IPv4 prefixes in, `a.b.c.d/n` with no leading zeros, read
/// without building a `String`. Anything else is left to `PrefixParser`.
enum CanonicalIPv4 {
  static func prefix(_ bytes: UnsafeBufferPointer<UInt8>) -> IPv4Prefix? {
    var bits: UInt32 = 0
    var index = 0
    for octet in 0..<4 {
      guard let (value, next) = number(bytes, from: index, maximum: 255) else { return nil }
      bits = bits << 8 | UInt32(value)
      let separator = octet == 3 ? UInt8(ascii: "/") : UInt8(ascii: ".")
      guard next < bytes.count, bytes[next] == separator else { return nil }
      index = next + 1
    }
    guard let (length, end) = number(bytes, from: index, maximum: 32), end == bytes.count else {
      return nil
    }
    let prefix = IPv4Prefix(IPv4Address(bits: bits), length: length)
    return prefix.network.bits == bits ? prefix : nil
  }

  /// Digits from `start`: one to three, no leading zero, at most `maximum`.
  private static func number(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, maximum: Int)
    -> (Int, Int)?
  {
    var value = 0
    var index = start
    while index < bytes.count, index - start < 3, (0x30...0x39).contains(bytes[index]) {
      value = value * 10 + Int(bytes[index] - 0x30)
      index += 1
    }
    guard index > start, value <= maximum, index - start == 1 || bytes[start] != 0x30 else {
      return nil
    }
    return (value, index)
  }
}
