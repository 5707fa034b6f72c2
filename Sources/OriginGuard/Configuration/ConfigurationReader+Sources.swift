import AddressSet
import AddressSources

/// `sources:` — the list, names, types and the keys every source has.
extension ConfigurationReader {
  /// Source names end up in log lines, metric labels and state file names.
  static let maximumSourceNameLength = 64

  /// - Parameter retainRemoved: gets the `retain_removed` of each source that sets it.
  func readSources(_ field: YAMLField, retainRemoved: inout [String: Duration]) -> [SourceConfig]? {
    guard let elements = field.list(of: "sources (mappings with name: and type:)") else {
      return nil
    }
    guard !elements.isEmpty else {
      field.invalid("list at least one source")
      return nil
    }
    var sources: [SourceConfig] = []
    var firstUse: [String: (keyPath: String, line: Int?)] = [:]
    for element in elements {
      // A source with other problems still claims its name, so a duplicate is reported too.
      guard case (let name, let nameField, let source, let retain)? = readSource(element) else {
        continue
      }
      if let first = firstUse[name] {
        let line = first.line.map { " (line \($0))" } ?? ""
        nameField.report(
          .duplicateSourceName,
          "source name \(String(reflecting: name)) is already used by \(first.keyPath)\(line); every source needs its own name"
        )
        continue
      }
      firstUse[name] = (element.keyPath, nameField.line)
      if let source { sources.append(source) }
      if let retain { retainRemoved[name] = retain }
    }
    return sources
  }

  /// The name and its field when the name is valid, and the source when all of it is.
  private func readSource(_ field: YAMLField) -> (String, YAMLField, SourceConfig?, Duration?)? {
    guard
      var keys = mapping(
        field, expected: "a source: a mapping with name:, type: and the type's keys")
    else { return nil }
    let nameField = keys.required("name", hint: "every source needs a name, e.g. name: cdn")
    let name = nameField.flatMap(sourceName)
    let kindList = YAMLField.list(SourceKind.allCases.map(\.rawValue))
    let kind = keys.required("type", hint: "one of \(kindList)")?
      .choice(SourceKind.self, what: "a source type")
    let policy = readEntryPolicy(&keys)
    let retain = keys.optional("retain_removed")?.duration()

    var source: SourceConfig?
    let sourceName = name ?? ""
    switch kind {
    case .static: source = readStatic(&keys, name: sourceName, policy: policy)
    case .file: source = readFile(&keys, name: sourceName, policy: policy)
    case .url: source = readURLSource(&keys, name: sourceName, policy: policy)
    case .alibabaCDN: source = readAlibabaCDN(&keys, name: sourceName, policy: policy)
    case .alibabaESA: source = readAlibabaESA(&keys, name: sourceName, policy: policy)
    case nil:
      // Without a valid type there is no telling which keys are right: accept every source
      // key so that only the type is reported.
      for key in SourceKeyCatalog.allKeys { _ = keys.optional(key) }
    }
    keys.reportUnknownKeys(
      context: kind.map { "a \($0) source" }, elsewhere: SourceKeyCatalog.homes(excluding: kind))
    guard let name, let nameField else { return nil }
    return (name, nameField, source, retain)
  }

  private func sourceName(_ field: YAMLField) -> String? {
    guard let name = field.string() else { return nil }
    let valid =
      name.count <= Self.maximumSourceNameLength
      && (name.first.map { $0.isASCII && ($0.isLetter || $0.isNumber) } ?? false)
      && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) }
    guard valid else {
      field.invalid(
        "\(String(reflecting: name)) is not a usable source name; use up to \(Self.maximumSourceNameLength) letters, digits, _, - and ., starting with a letter or digit"
      )
      return nil
    }
    return name
  }

  /// `on_invalid_entry`, `min_prefix_length_v4`, `min_prefix_length_v6`.
  private func readEntryPolicy(_ keys: inout MappingReader) -> EntryPolicy {
    var policy = EntryPolicy()
    if let action = keys.optional("on_invalid_entry")?.choice(
      InvalidEntryAction.self, what: "an invalid-entry action")
    {
      policy.onInvalidEntry = action
    }
    if let length = keys.optional("min_prefix_length_v4")?.integer(in: 0...32) {
      policy.minimumIPv4PrefixLength = length
    }
    if let length = keys.optional("min_prefix_length_v6")?.integer(in: 0...128) {
      policy.minimumIPv6PrefixLength = length
    }
    return policy
  }

  /// Addresses written into the configuration are checked now: a typo here is the operator's
  /// own, and would otherwise fail the source on every run.
  private func readStatic(_ keys: inout MappingReader, name: String, policy: EntryPolicy)
    -> SourceConfig?
  {
    let presetField = keys.optional("preset")
    let addressesField = keys.optional("addresses")
    if let presetField {
      if let addressesField {
        addressesField.invalid(
          "preset and addresses are alternatives; keep one of them (another static source can hold your own addresses)"
        )
        return nil
      }
      guard let preset = presetField.choice(StaticPreset.self, what: "a static preset") else {
        return nil
      }
      return .static(StaticSourceConfig(name: name, prefixes: preset.prefixes, policy: policy))
    }
    guard let addressesField else {
      keys.field.problems.add(
        .missingKey, line: keys.field.line, keyPath: "\(keys.field.keyPath).addresses",
        "missing required key; list addresses or prefixes, e.g. [100.64.0.0/10], or use a preset")
      return nil
    }
    guard let entries = addressesField.stringList(nonEmpty: true) else { return nil }
    var valid = true
    for (text, field) in entries {
      let parsed: ParsedPrefix
      do {
        parsed = try PrefixParser.parse(text)
      } catch {
        field.invalid(error.description)
        valid = false
        continue
      }
      let (minimum, key) =
        parsed.prefix.family == .ipv4
        ? (policy.minimumIPv4PrefixLength, "min_prefix_length_v4")
        : (policy.minimumIPv6PrefixLength, "min_prefix_length_v6")
      if parsed.prefix.length < minimum {
        field.invalid(
          "\(parsed.prefix) is broader than /\(minimum), the source's \(key); a list this broad is almost certainly a mistake"
        )
        valid = false
      }
    }
    guard valid else { return nil }
    return .static(StaticSourceConfig(name: name, prefixes: entries.map(\.text), policy: policy))
  }

  private func readFile(_ keys: inout MappingReader, name: String, policy: EntryPolicy)
    -> SourceConfig?
  {
    guard let field = keys.required("path", hint: "the list's absolute path"),
      let path = absolutePath(field, allowHome: true)
    else { return nil }
    return .file(FileSourceConfig(name: name, path: path, policy: policy))
  }
}
