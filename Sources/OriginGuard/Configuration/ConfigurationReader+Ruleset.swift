import Netfilter

/// The top-level keys that shape the nftables table: names, ports, protocols, hook, logging.
extension ConfigurationReader {
  /// nftables names: what `nft` accepts unquoted, so the operator can type them in
  /// `nft list table inet <table>`. The kernel's limit is 255 bytes.
  static let maximumNameLength = 255

  func readRuleset(_ top: inout MappingReader) -> GuardRuleset {
    var ruleset = GuardRuleset()
    let table = top.optional("table")
    let ipv4Set = top.optional("ipv4_set")
    let ipv6Set = top.optional("ipv6_set")
    let guardChain = top.optional("guard_chain")
    let baseChain = top.optional("base_chain")
    if let name = table.flatMap(nftablesName) { ruleset.tableName = name }
    if let name = ipv4Set.flatMap(nftablesName) { ruleset.ipv4SetName = name }
    if let name = ipv6Set.flatMap(nftablesName) { ruleset.ipv6SetName = name }
    if let name = guardChain.flatMap(nftablesName) { ruleset.guardChainName = name }
    if let name = baseChain.flatMap(nftablesName) { ruleset.baseChainName = name }
    if let ports = top.optional("ports").flatMap(readPorts) { ruleset.ports = ports }
    if let protocols = top.optional("protocols").flatMap(readProtocols) {
      ruleset.protocols = protocols
    }
    if let hook = top.optional("hook")?.choice(GuardRuleset.HookMode.self, what: "a hook") {
      ruleset.hookMode = hook
    }
    if let priority = top.optional("priority")?.integer(in: Int(Int32.min)...Int(Int32.max)) {
      ruleset.priority = Int32(priority)
    }
    if let accept = top.optional("accept_established")?.bool() {
      ruleset.acceptEstablishedRelated = accept
    }
    if let field = top.optional("drop_log") { ruleset.dropLog = readDropLog(field) }

    if ruleset.ipv4SetName == ruleset.ipv6SetName {
      (ipv6Set ?? ipv4Set)?.invalid(
        "ipv4_set and ipv6_set are both \(String(reflecting: ruleset.ipv4SetName)); each family needs its own set"
      )
    }
    if ruleset.guardChainName == ruleset.resolvedBaseChainName {
      (guardChain ?? baseChain)?.invalid(
        "the guard chain and the base chain are both \(String(reflecting: ruleset.guardChainName)); name them differently"
      )
    }
    return ruleset
  }

  func nftablesName(_ field: YAMLField) -> String? {
    guard let name = field.string() else { return nil }
    let valid =
      name.utf8.count <= Self.maximumNameLength
      && (name.first.map { $0.isASCII && ($0.isLetter || $0 == "_") } ?? false)
      && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) }
    guard valid else {
      field.invalid(
        "\(String(reflecting: name)) is not an nftables name; use letters, digits, _, - and ., starting with a letter or _"
      )
      return nil
    }
    return name
  }

  private func readPorts(_ field: YAMLField) -> [UInt16]? {
    guard let elements = field.list(of: "port numbers") else { return nil }
    guard !elements.isEmpty else {
      field.invalid("list at least one port; without ports nothing is guarded")
      return nil
    }
    var ports: [UInt16] = []
    var firstIndex: [UInt16: Int] = [:]
    for (index, element) in elements.enumerated() {
      guard case .scalar(let scalar) = element.node, case .integer(let number) = YAMLScalar(scalar)
      else {
        element.wrongType(expected: "a port number")
        continue
      }
      guard (1...65_535).contains(number) else {
        element.invalid("\(number) is not a port; use 1…65535")
        continue
      }
      let port = UInt16(number)
      if let first = firstIndex[port] {
        element.invalid("port \(port) is already listed as \(field.keyPath)[\(first)]")
        continue
      }
      firstIndex[port] = index
      ports.append(port)
    }
    return ports
  }

  private func readProtocols(_ field: YAMLField) -> [GuardRuleset.TransportProtocol]? {
    guard let elements = field.list(of: "protocols (tcp, udp)") else { return nil }
    guard !elements.isEmpty else {
      field.invalid("list at least one protocol: tcp, udp or both")
      return nil
    }
    var protocols: [GuardRuleset.TransportProtocol] = []
    for element in elements {
      guard let text = element.string(expected: "tcp or udp") else { continue }
      guard
        let transport = GuardRuleset.TransportProtocol.allCases.first(where: { "\($0)" == text })
      else {
        element.invalid("\(String(reflecting: text)) is not a protocol; use tcp or udp")
        continue
      }
      guard !protocols.contains(transport) else {
        element.invalid("\(text) is listed twice")
        continue
      }
      protocols.append(transport)
    }
    return protocols
  }

  /// `false` (or absent): no log line. `true`: the defaults. A mapping: `prefix`, `rate`, `burst`.
  private func readDropLog(_ field: YAMLField) -> GuardRuleset.DropLog? {
    if case .scalar(let scalar) = field.node, case .bool(let enabled) = YAMLScalar(scalar) {
      return enabled ? GuardRuleset.DropLog() : nil
    }
    guard var keys = mapping(field, expected: "true, false or a mapping with prefix and rate")
    else {
      return nil
    }
    var dropLog = GuardRuleset.DropLog()
    if let prefixField = keys.optional("prefix"), let prefix = prefixField.string() {
      // The kernel keeps 127 bytes of a log prefix; quotes and control characters would
      // garble `nft list` and the log line.
      if prefix.utf8.count > 127 {
        prefixField.invalid("is \(prefix.utf8.count) bytes long; the kernel keeps at most 127")
      } else if prefix.contains(where: { $0 == "\"" || $0.isNewline || ($0.asciiValue ?? 32) < 32 })
      {
        prefixField.invalid("must not contain quotes or control characters")
      } else {
        dropLog.prefix = prefix
      }
    }
    let burstField = keys.optional("burst")
    if let burst = burstField?.integer(in: 1...Int(UInt32.max)).map(UInt32.init) {
      dropLog.limit.burst = burst
    }
    let rateField = keys.optional("rate")
    if let rateField, let text = rateField.string() {
      if let limit = RateSyntax.parse(text, burst: dropLog.limit.burst) {
        dropLog.limit = limit
      } else {
        rateField.invalid(
          "\(String(reflecting: text)) is not a rate; write <count>/<period> with period second, minute, hour, day or week, e.g. 10/minute"
        )
      }
    }
    // What the kernel would refuse (EOVERFLOW) at the first sync is refused here.
    if let refusal = dropLog.limit.kernelRefusal, let field = rateField ?? burstField {
      field.invalid(
        "rate \(RateSyntax.format(dropLog.limit)) with burst \(dropLog.limit.burst) is refused by the kernel: \(refusal); lower the burst or use a shorter period"
      )
    }
    keys.reportUnknownKeys(context: "drop_log")
    return dropLog
  }
}
