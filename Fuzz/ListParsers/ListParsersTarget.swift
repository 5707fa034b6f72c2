import Foundation

@testable import AddressSources

/// The list formats of `file` and `url` sources: the text list (comments, CRLF, BOM), the JSON
/// array of strings with line and column, and JSON selectors. The first line of the input is
/// a selector, the rest the document; the whole input is also read as a list on its own.
enum ListParsersTarget {
  static func test(_ bytes: UnsafeRawBufferPointer) {
    let whole = Data(bytes)
    let newline = bytes.firstIndex(of: 0x0A) ?? bytes.count
    let selectorText = String(decoding: bytes[..<newline], as: UTF8.self)
    let document = Data(bytes[min(newline + 1, bytes.count)...])

    var collector = EntryCollector(source: "fuzz", policy: EntryPolicy(onInvalidEntry: .skip))
    let text = String(decoding: whole, as: UTF8.self)
    _ = TextList.looksLikeJSON(text)
    var lastLine = 0
    for line in TextList.lines(of: text) {
      precondition(line.number > lastLine, "line numbers go forward")
      lastLine = line.number
      precondition(!line.content.contains("#") && !line.content.contains("\n"), "comment kept")
      try? collector.add(line.content, origin: .file(path: "fuzz", line: line.number))
    }
    if let elements = try? JSONStringArray.parse(whole) {
      for element in elements {
        precondition(element.line >= 1 && element.column >= 1, "position \(element)")
        if let string = element.string { try? collector.add(string, origin: .configuration) }
      }
    }
    if let selector = try? JSONSelector(selectorText),
      let object = try? JSONSerialization.jsonObject(with: document, options: [.fragmentsAllowed])
    {
      for value in (try? selector.select(in: object)) ?? [] {
        if let string = value as? String {
          try? collector.add(string, origin: .url("fuzz", line: nil))
        }
      }
    }
    _ = SourceVersion.checksum(of: collector.entries)
  }

  static let seeds: [[UInt8]] = [
    "\n192.0.2.0/24\n198.51.100.7 # a host\r\n\n# comment\n2001:db8::/32\n",
    "\u{FEFF}10.0.0.0/8\n",
    "[]\n[\"192.0.2.0/24\", \"2001:db8::/48\", 42, null, {\"a\": 1}]",
    "addresses\n{\"addresses\": [\"192.0.2.0/24\"], \"ipv6_addresses\": [\"2001:db8::/48\"]}",
    "prefixes[service=CLOUDFRONT_ORIGIN_FACING].ip_prefix\n{\"prefixes\": [{\"ip_prefix\": \"3.5.140.0/22\", \"service\": \"CLOUDFRONT_ORIGIN_FACING\"}, {\"ip_prefix\": \"3.5.141.0/24\", \"service\": \"S3\"}]}",
    "result.ipv4_cidrs\n{\"result\": {\"ipv4_cidrs\": [\"173.245.48.0/20\"], \"ipv6_cidrs\": [\"2400:cb00::/32\"]}, \"success\": true}",
    "[].ip\n[{\"ip\": \"192.0.2.1\"}, {\"ip\": \"192.0.2.2\"}]",
  ].map { Array($0.utf8) }

  static let dictionary = [
    "[]", "[service=", "].", ".", "\"", "[", "]", "{", "}", ":", ",", "null", "true", "\\u0000",
    "\\ud800", "#", "\r\n", "\u{FEFF}", "1e999", "-0",
  ]
}
