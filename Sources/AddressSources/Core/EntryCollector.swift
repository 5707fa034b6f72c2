import AddressSet
import Logging

/// Parses a source's entries one by one and applies its `EntryPolicy`; every source kind
/// funnels its strings through here, so all of them treat bad entries the same way.
struct EntryCollector {
  let source: String
  let policy: EntryPolicy
  private(set) var entries: [SourceEntry] = []
  private(set) var skipped: [SkippedEntry] = []

  init(source: String, policy: EntryPolicy) {
    self.source = source
    self.policy = policy
  }

  /// Room for `count` entries: a long list then grows its array once, not 17 times.
  mutating func reserveCapacity(_ count: Int) {
    entries.reserveCapacity(count)
  }

  /// Parses `text`. `columnOffset` is added to the parser's column so that errors point into
  /// the line the text was cut from.
  mutating func add(_ text: String, origin: Origin, columnOffset: Int = 0) throws(SourceError) {
    let parsed: ParsedPrefix
    do {
      parsed = try PrefixParser.parse(text)
    } catch {
      try reject(
        text.trimmingSpaces, origin: origin, column: error.column + columnOffset,
        reason: error.reason.description)
      return
    }
    let minimum =
      parsed.prefix.family == .ipv4
      ? policy.minimumIPv4PrefixLength : policy.minimumIPv6PrefixLength
    // Too broad is never skipped: it is not a typo to drop but a sign the list itself is wrong.
    if parsed.prefix.length < minimum {
      throw .prefixTooBroad(
        source: source, origin: origin, entry: text.trimmingSpaces, prefix: parsed.prefix,
        minimumLength: minimum)
    }
    entries.append(SourceEntry(prefix: parsed.prefix, origin: origin, notes: parsed.notes))
  }

  /// An entry that is not even a string (a number in a JSON array, say).
  mutating func reject(_ entry: String, origin: Origin, column: Int?, reason: String)
    throws(SourceError)
  {
    switch policy.onInvalidEntry {
    case .fail:
      throw .invalidEntry(
        source: source, origin: origin, entry: entry, column: column, reason: reason)
    case .skip:
      let at = column.map { "column \($0): " } ?? ""
      skipped.append(SkippedEntry(origin: origin, entry: entry, reason: at + reason))
    }
  }

  /// Logs the skipped entries and what the parser changed, at most `MessageLimit.listedItems`
  /// lines of each: a list of 100,000 bad lines must not become 100,000 log lines.
  func log(to logger: Logger) {
    let (skippedShown, skippedOmitted) = MessageLimit.head(skipped)
    for entry in skippedShown { logger.warning("source \(source): \(entry)") }
    if skippedOmitted > 0 {
      logger.warning(
        "source \(source): and \(MessageLimit.grouped(skippedOmitted)) more skipped entries")
    }
    let notes = EntryNote.notes(of: entries, source: source)
    let (notesShown, notesOmitted) = MessageLimit.head(notes)
    for note in notesShown { logger.notice("\(note.description)") }
    if notesOmitted > 0 {
      logger.notice(
        "source \(source): and \(MessageLimit.grouped(notesOmitted)) more entries changed by the parser"
      )
    }
  }

  /// Fails when nothing was accepted from `origin`'s entries since `startIndex`.
  func requireEntries(since startIndex: Int, origin: Origin?) throws(SourceError) {
    if entries.count == startIndex { throw .emptyResult(source: source, origin: origin) }
  }
}

extension String {
  var trimmingSpaces: String {
    var slice = Substring(self)
    while let first = slice.first, first.isWhitespace { slice.removeFirst() }
    while let last = slice.last, last.isWhitespace { slice.removeLast() }
    return String(slice)
  }
}
