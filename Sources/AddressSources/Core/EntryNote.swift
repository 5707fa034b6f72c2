import AddressSet

/// What the parser changed in one accepted entry (host bits masked, an IPv4-mapped address
/// read as IPv4), with where the entry is: the list that is applied is not the text that was
/// written, and the operator is told so.
public struct EntryNote: Hashable, Sendable, CustomStringConvertible {
  public let provenance: Provenance
  public let note: ParsedPrefix.Note
  /// What the entry became.
  public let prefix: AnyIPPrefix

  public init(provenance: Provenance, note: ParsedPrefix.Note, prefix: AnyIPPrefix) {
    self.provenance = provenance
    self.note = note
    self.prefix = prefix
  }

  public var description: String { "\(provenance): \(note): \(prefix)" }
}

extension EntryNote {
  /// Every note of `entries` of `source`, in source order.
  static func notes(of entries: [SourceEntry], source: String) -> [EntryNote] {
    var notes: [EntryNote] = []
    for entry in entries where !entry.notes.isEmpty {
      let provenance = Provenance(source: source, origin: entry.origin)
      for note in entry.notes {
        notes.append(EntryNote(provenance: provenance, note: note, prefix: entry.prefix))
      }
    }
    return notes
  }
}

extension SourceResult {
  /// Every note of every entry, in source order.
  public var notes: [EntryNote] { EntryNote.notes(of: entries, source: source) }
}
