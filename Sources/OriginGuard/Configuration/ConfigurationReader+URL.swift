import AddressSources

/// `type: url` — a preset, one `url` (with `format`, `select`), or a list of them under `urls`.
extension ConfigurationReader {
  func readURLSource(_ keys: inout MappingReader, name: String, policy: EntryPolicy)
    -> SourceConfig?
  {
    let presetField = keys.optional("preset")
    let urlField = keys.optional("url")
    let formatField = keys.optional("format")
    let selectField = keys.optional("select")
    let urlsField = keys.optional("urls")
    let areaField = keys.optional("area")
    let http = readHTTPOptions(&keys)
    let retry = readRetryPolicy(&keys, defaults: URLSourceConfig(name: "", documents: []).retry)

    let given = [("preset", presetField), ("url", urlField), ("urls", urlsField)]
      .filter { $0.1 != nil }
    guard given.count == 1, case (let key, let field?)? = given.first else {
      if given.count > 1, let extra = given[1].1 {
        extra.invalid(
          "\(given.map(\.0).joined(separator: " and ")) are alternatives; keep one of them")
      } else if given.isEmpty {
        keys.field.problems.add(
          .missingKey, line: keys.field.line, keyPath: "\(keys.field.keyPath).url",
          "missing required key; a url source needs one of preset, url or urls")
      }
      return nil
    }
    if let areaField, key != "preset" {
      areaField.invalid("area belongs with preset: edgeone; with \(key) it has no effect")
    }
    if key != "url" {
      for (other, otherField) in [("format", formatField), ("select", selectField)] {
        otherField?.invalid("\(other) belongs with url; with \(key) it has no effect")
      }
    }

    let documents: [URLDocument]?
    switch key {
    case "preset":
      documents = readPreset(field, area: areaField)
    case "url":
      documents = readDocument(url: field, format: formatField, select: selectField).map { [$0] }
    default:
      documents = readDocuments(field)
    }
    guard let documents else { return nil }
    return .url(
      URLSourceConfig(name: name, documents: documents, http: http, retry: retry, policy: policy))
  }

  /// A preset, with EdgeOne's `area` when given.
  private func readPreset(_ field: YAMLField, area areaField: YAMLField?) -> [URLDocument]? {
    guard let preset = field.choice(URLPreset.self, what: "a preset") else { return nil }
    guard let areaField else { return preset.documents }
    guard preset.hasAreas else {
      areaField.invalid("area belongs with preset: edgeone; preset \(preset.rawValue) has no areas")
      return nil
    }
    guard let area = areaField.choice(EdgeOneArea.self, what: "an EdgeOne area") else {
      return nil
    }
    return preset.documents(area: area)
  }

  private func readDocuments(_ field: YAMLField) -> [URLDocument]? {
    guard let elements = field.list(of: "documents (mappings with url:, format:, select:)") else {
      return nil
    }
    guard !elements.isEmpty else {
      field.invalid("list at least one document")
      return nil
    }
    var documents: [URLDocument] = []
    for element in elements {
      guard
        var keys = mapping(element, expected: "a mapping with url: and optionally format:, select:")
      else { continue }
      let url = keys.required("url", hint: "the document's https:// address")
      let format = keys.optional("format")
      let select = keys.optional("select")
      keys.reportUnknownKeys(context: "a document")
      if let url, let document = readDocument(url: url, format: format, select: select) {
        documents.append(document)
      }
    }
    return documents.count == elements.count ? documents : nil
  }

  private func readDocument(
    url urlField: YAMLField, format formatField: YAMLField?, select selectField: YAMLField?
  )
    -> URLDocument?
  {
    let url = urlField.string().flatMap { EndpointCheck.https($0, at: urlField) }
    let format = formatField?.choice(DocumentFormat.self, what: "a document format")
    var selectors: [String] = []
    if let selectField {
      selectors = readSelectors(selectField) ?? []
      if format == .text {
        selectField.invalid("select applies to JSON documents; this one has format: text")
        return nil
      }
    }
    guard let url, formatField == nil || format != nil else { return nil }
    return URLDocument(url: url, format: format, selectors: selectors)
  }

  /// One selector or a list of them.
  private func readSelectors(_ field: YAMLField) -> [String]? {
    let texts: [(text: String, field: YAMLField)]
    if case .sequence = field.node {
      guard let list = field.stringList(nonEmpty: true) else { return nil }
      texts = list
    } else {
      guard let text = field.string(expected: "a JSON selector or a list of them") else {
        return nil
      }
      texts = [(text, field)]
    }
    var selectors: [String] = []
    for (text, element) in texts {
      do {
        selectors.append(try JSONSelector(text).text)
      } catch {
        element.invalid(error.description)
      }
    }
    return selectors.count == texts.count ? selectors : nil
  }
}
