import AddressSources
import Foundation

/// How one source fared in a cycle.
public enum SourceOutcome: Sendable {
  /// Fetched now.
  case fresh(SourceResult)
  /// The last-known-good list stood in: the source failed (`error`), or `--from-cache` asked
  /// for no fetching (`error` nil).
  case cached(SourceSnapshot, age: Duration, error: SourceError?)
  /// Failed, with no last-known-good list young enough to stand in.
  case failed(SourceError, cacheAge: Duration?)

  public var name: String {
    switch self {
    case .fresh(let result): result.source
    case .cached(let snapshot, _, _): snapshot.name
    case .failed(let error, _): error.source
    }
  }

  /// The list to use, when there is one.
  public var result: SourceResult? {
    switch self {
    case .fresh(let result): result
    case .cached(let snapshot, _, _): snapshot.asResult
    case .failed: nil
    }
  }

  public var error: SourceError? {
    switch self {
    case .fresh: nil
    case .cached(_, _, let error): error
    case .failed(let error, _): error
    }
  }

  /// A few words for the summary line: `fresh`, `cache (2h old)`, `failed`.
  public var status: String {
    switch self {
    case .fresh(let result): result.unchanged ? "unchanged" : "fresh"
    case .cached(_, let age, _): "cache (\(DurationText.describe(age)) old)"
    case .failed: "failed"
    }
  }
}
