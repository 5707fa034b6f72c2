import AddressSet

/// The address parser on arbitrary text, one prefix per line, and the interval sets built from
/// what it accepts. Beyond "no crash": what it prints it reads back to the same value, and a
/// set rebuilt from its own prefixes is the same set.
enum AddressParserTarget {
  static func test(_ bytes: UnsafeRawBufferPointer) {
    let text = String(decoding: bytes, as: UTF8.self)
    var prefixes: [AnyIPPrefix] = []
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      let line = String(line)
      do {
        let parsed = try PrefixParser.parse(line)
        prefixes.append(parsed.prefix)
        guard let again = try? PrefixParser.parse(parsed.prefix.description) else {
          fatalError("\(String(reflecting: line)) parsed as \(parsed.prefix), which does not parse")
        }
        precondition(again.prefix == parsed.prefix && again.notes.isEmpty, "\(line) round trip")
      } catch {
        // The message's column must point into the line (or just past its end).
        precondition(error.column >= 1 && error.column <= line.count + 1, "\(line): \(error)")
        _ = error.description
      }
      if let address = try? PrefixParser.parseAddress(line) {
        precondition(
          (try? PrefixParser.parseAddress(address.description)) == address, "\(line) address")
      }
    }
    let set = DualStackSet(prefixes: prefixes)
    precondition(DualStackSet(prefixes: set.prefixes) == set, "set round trip")
    for prefix in prefixes.prefix(32) {
      precondition(
        DualStackSet(prefixes: set.prefixes + [prefix]) == set, "\(prefix) not covered by the set")
    }
  }

  static let seeds: [[UInt8]] = [
    "192.0.2.1", "198.51.100.0/24", "1.1.1.1/25", "0.0.0.0/0", "255.255.255.255/32",
    "2001:db8::/32", "2001:DB8:0:0:0:0:0:1", "::", "::1/128", "::ffff:192.0.2.1",
    "::ffff:0:0/96", "64:ff9b::192.0.2.1", "fe80::1%eth0", " 10.0.0.0/8 ", "010.0.0.1",
    "1.2.3.4/33", "2001:db8::/129", "1:2:3:4:5:6:7:8", "1::2:3:4:5:6:7", "::2:3:4:5:6:7:8",
    "10.0.0.0/24\n10.0.1.0/24\n2001:db8:1::/48\n::ffff:10.0.2.0/120",
  ].map { Array($0.utf8) }

  static let dictionary = ["::", "::ffff:", "/32", "/128", "/0", ".255", "%", "ffff", "0x"]
}
