import AddressSet

/// Something that produces an allow-list: the configuration of one source, made runnable.
///
/// A fetch either returns every prefix the source holds or throws. There is no partial
/// success: an allow-list built from half a download locks the CDN out just as surely as an
/// empty one, so callers can treat any returned result as complete.
public protocol AddressSource: Sendable {
  /// The source's name from configuration (`cdn`, `alb-health-checks`).
  var name: String { get }

  /// Fetches the whole list. Never returns an empty result: that is `SourceError.emptyResult`.
  func fetch() async throws(SourceError) -> SourceResult
}
