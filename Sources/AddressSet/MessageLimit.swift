/// How much of an input, and of a list, one message may show.
///
/// What a source sends is not trusted: one line can be 50 MB, and a refusal can name 65,536
/// contributing lines. journald splits lines over 48 KiB and an operator reads the first
/// screen, so every message (stderr, the log, `last-run.json`, `plan`) that quotes input or
/// lists items goes through here, and says how much it left out.
public enum MessageLimit {
  /// Unicode scalars quoted from one input: enough to recognise a line, not to copy a file.
  public static let quotedScalars = 200
  /// Items listed in one message before "and N more".
  public static let listedItems = 20

  /// `text` as a string literal, cut after `quotedScalars`:
  /// `"203.0.113.1xxx…" (4,999,789 more bytes)`.
  public static func quote(_ text: String) -> String {
    let (shown, omitted) = cut(text)
    return String(reflecting: shown) + (omitted > 0 ? "… (\(grouped(omitted)) more bytes)" : "")
  }

  /// `text` as it is (no quotes), cut after `limit` scalars with "… (N more bytes)": for
  /// messages built from input that are not quoted whole, such as a parser's complaint.
  public static func clip(_ text: String, limit: Int = 4 * quotedScalars) -> String {
    let (shown, omitted) = cut(text, limit: limit)
    return shown + (omitted > 0 ? "… (\(grouped(omitted)) more bytes)" : "")
  }

  /// The first `listedItems` of `items` joined by `separator`, then "and N more".
  public static func list(
    _ items: some Collection<String>, separator: String = "; ", noun: String = ""
  ) -> String {
    let (shown, omitted) = head(items)
    var text = shown.joined(separator: separator)
    if omitted > 0 {
      text += separator + "and \(grouped(omitted)) more" + (noun.isEmpty ? "" : " \(noun)")
    }
    return text
  }

  /// The first `listedItems` of `items` and how many were left out, for output that shows
  /// them one per line or as JSON.
  public static func head<C: Collection>(_ items: C, limit: Int = listedItems) -> (
    shown: [C.Element], omitted: Int
  ) {
    let shown = Array(items.prefix(limit))
    return (shown, items.count - shown.count)
  }

  /// `12345678` as `12,345,678`: counts of left-out bytes and lines are read, not parsed.
  public static func grouped(_ value: Int) -> String {
    let digits = String(value.magnitude)
    var result = ""
    for (index, digit) in digits.enumerated() {
      if index > 0 && (digits.count - index) % 3 == 0 { result.append(",") }
      result.append(digit)
    }
    return value < 0 ? "-" + result : result
  }

  /// Cuts by Unicode scalars, not characters: one character can hold megabytes of combining
  /// marks.
  private static func cut(_ text: String, limit: Int = quotedScalars) -> (String, Int) {
    let scalars = text.unicodeScalars
    guard let end = scalars.index(scalars.startIndex, offsetBy: limit, limitedBy: scalars.endIndex),
      end != scalars.endIndex
    else { return (text, 0) }
    let shown = String(Substring(scalars[..<end]))
    return (shown, text.utf8.count - shown.utf8.count)
  }
}
