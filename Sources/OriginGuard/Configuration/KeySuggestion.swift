/// "Did you mean …": the closest known word to a misspelt one, if it is close enough to be
/// the one meant.
enum KeySuggestion {
  static func closest(to word: String, among candidates: [String]) -> String? {
    let normalized = word.lowercased().replacingOccurrences(of: "-", with: "_")
    var best: (candidate: String, distance: Int)? = nil
    for candidate in candidates {
      let distance = editDistance(normalized, candidate.lowercased())
      if distance < (best?.distance ?? Int.max) { best = (candidate, distance) }
    }
    // A third of the word, at least 1 and at most 3 edits: `prots` → `ports`, `domain` →
    // `domains`, `intervall` → `interval`; but not `foo` → `ports`.
    guard let best, best.distance <= max(1, min(3, word.count / 3)) else { return nil }
    return best.candidate
  }

  /// Damerau–Levenshtein (optimal string alignment): a swap of neighbours is one edit, the
  /// commonest typo.
  static func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a)
    let b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previousPrevious = [Int](repeating: 0, count: b.count + 1)
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
      current[0] = i
      for j in 1...b.count {
        let cost = a[i - 1] == b[j - 1] ? 0 : 1
        current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
        if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
          current[j] = min(current[j], previousPrevious[j - 2] + 1)
        }
      }
      (previousPrevious, previous, current) = (previous, current, previousPrevious)
    }
    return previous[b.count]
  }
}
