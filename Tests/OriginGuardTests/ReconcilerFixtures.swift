import AddressSet
import AddressSources
import Foundation
import Logging
import Netfilter
import Synchronization
import Testing

@testable import OriginGuard

// Shared fixtures of the reconciler tests: a scripted source, a settable clock, a log capture,
// wrapper backends that misbehave on purpose, and a harness wiring them to a `Reconciler`
// over a `FakeNetfilter` and a temporary state directory.

/// 2026-01-01T00:00:00Z: whole seconds, since the state header keeps ISO 8601 seconds.
let testEpoch = Date(timeIntervalSince1970: 1_767_225_600)
let testIdentity = "test-boot-id net:[4026531840]"

/// A clock tests move by hand.
final class TestClock: Sendable {
  private let current: Mutex<Date>

  init(_ start: Date = testEpoch) { current = Mutex(start) }

  func now() -> Date { current.withLock { $0 } }

  func advance(seconds: TimeInterval) { current.withLock { $0 += seconds } }
}

/// A source that answers from a script: each fetch takes the next response, the last one
/// repeats. Counts its calls.
final class FakeSource: AddressSource {
  enum Response: Sendable {
    case entries([SourceEntry])
    case failure(SourceError)
  }

  let name: String
  let kind: SourceKind
  private let clock: TestClock
  private let state: Mutex<(script: [Response], calls: Int)>
  private let pending = Mutex<[PendingUpdate]>([])
  private let confirmation = Mutex<
    (after: Duration?, answers: [Result<ConfirmationAnswer, SourceError>], calls: [PendingUpdate])
  >((nil, [], []))

  init(name: String, kind: SourceKind = .url, clock: TestClock) {
    self.name = name
    self.kind = kind
    self.clock = clock
    state = Mutex(([], 0))
  }

  /// From now on, every answer reports these updates as pending.
  func reportPending(_ updates: [PendingUpdate]) { pending.withLock { $0 = updates } }

  /// From now on, confirms pending updates after `after`, with these answers (the last repeats).
  func confirmUpdates(
    after: Duration, answering answers: Result<ConfirmationAnswer, SourceError>...
  ) {
    confirmation.withLock {
      $0.after = after
      $0.answers = answers
    }
  }

  /// The updates `confirm` was called for, in order.
  var confirmCalls: [PendingUpdate] { confirmation.withLock { $0.calls } }

  /// The URL the fake pretends to download; origins of `list` entries point into it.
  var url: String { "https://lists.example/\(name).txt" }

  /// Replaces the script.
  func respond(_ responses: Response...) {
    state.withLock { $0.script = responses }
  }

  /// From now on, answers with these prefixes, each on its own line of `url`.
  func list(_ prefixes: String...) { respond(entries(prefixes)) }

  func list(contentsOf prefixes: [String]) { respond(entries(prefixes)) }

  /// From now on, fails to connect.
  func fail() { respond(failure) }

  var failure: Response {
    .failure(.connectionFailed(source: name, url: url, reason: "connection refused"))
  }

  func entries(_ prefixes: [String]) -> Response {
    .entries(
      prefixes.enumerated().map { index, text in
        SourceEntry(prefix: prefix(text), origin: .url(url, line: index + 1))
      })
  }

  var callCount: Int { state.withLock { $0.calls } }

  func fetch() async throws(SourceError) -> SourceResult {
    let response = state.withLock { state -> Response? in
      state.calls += 1
      return state.script.count > 1 ? state.script.removeFirst() : state.script.first
    }
    switch response {
    case nil: throw .emptyResult(source: name, origin: nil)
    case .failure(let error): throw error
    case .entries(let entries):
      let canonical = Set(entries.map(\.prefix.description)).sorted().joined(separator: ",")
      return SourceResult(
        source: name, kind: kind, entries: entries, fetchedAt: clock.now(),
        version: SourceVersion(checksum: "test:" + canonical),
        pendingUpdates: pending.withLock { $0 })
    }
  }
}

extension FakeSource: UpdateConfirming {
  var confirmAfter: Duration? { confirmation.withLock { $0.after } }

  func confirm(_ update: PendingUpdate) async throws(SourceError) -> ConfirmationAnswer {
    let answer = confirmation.withLock { state -> Result<ConfirmationAnswer, SourceError> in
      state.calls.append(update)
      let answer = state.answers.first ?? .success(.confirmed(requestID: nil))
      if state.answers.count > 1 { state.answers.removeFirst() }
      return answer
    }
    return try answer.get()
  }
}

/// Keeps every log message, so tests can check that a problem was reported.
final class LogCapture: Sendable {
  private let lines: Mutex<[(Logger.Level, String)]> = Mutex([])

  func append(_ level: Logger.Level, _ message: String) {
    lines.withLock { $0.append((level, message)) }
  }

  /// Messages at `warning` or above.
  var warnings: [String] {
    lines.withLock { $0.filter { $0.0 >= .warning }.map(\.1) }
  }

  var messages: [String] { lines.withLock { $0.map(\.1) } }
}

struct CapturingLogHandler: LogHandler {
  let capture: LogCapture
  var metadata: Logger.Metadata = [:]
  var metadataProvider: Logger.MetadataProvider?
  var logLevel: Logger.Level = .trace

  subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  func log(event: LogEvent) {
    capture.append(event.level, event.message.description)
  }
}

/// Delegates to a `FakeNetfilter` and lets a test act as another program at chosen moments:
/// just before or after each apply, or after each read of the generation.
final class HookedBackend: NetfilterBackend {
  let fake: FakeNetfilter
  private let beforeApply: @Sendable (_ attempt: Int) -> Void
  private let afterApply: @Sendable (_ attempt: Int) -> Void
  private let afterGeneration: @Sendable () -> Void
  private let applies = Mutex(0)

  init(
    _ fake: FakeNetfilter, beforeApply: @escaping @Sendable (Int) -> Void = { _ in },
    afterApply: @escaping @Sendable (Int) -> Void = { _ in },
    afterGeneration: @escaping @Sendable () -> Void = {}
  ) {
    self.fake = fake
    self.beforeApply = beforeApply
    self.afterApply = afterApply
    self.afterGeneration = afterGeneration
  }

  /// Another program commits just before each of the first `foreignCommits` applies, so they
  /// fail with `.generationChanged`.
  static func racing(_ fake: FakeNetfilter, foreignCommits: Int) -> HookedBackend {
    HookedBackend(
      fake,
      beforeApply: { attempt in
        if attempt <= foreignCommits { fake.simulateForeignCommit() }
      })
  }

  /// Another program commits after every read of the generation: no read of the table ever
  /// sees one generation from start to end.
  static func churning(_ fake: FakeNetfilter) -> HookedBackend {
    HookedBackend(fake, afterGeneration: { fake.simulateForeignCommit() })
  }

  /// How often `apply` was called, failed calls included.
  var applyCount: Int { applies.withLock { $0 } }

  func generation() throws(NetfilterError) -> UInt32 {
    defer { afterGeneration() }
    return try fake.generation()
  }

  func readTable(named name: String, withElements: Bool) throws(NetfilterError) -> TableState? {
    try fake.readTable(named: name, withElements: withElements)
  }

  func readElements(table: String, set: String) throws(NetfilterError) -> SetElements {
    try fake.readElements(table: table, set: set)
  }

  @discardableResult
  func apply(_ transaction: Transaction, expectedGeneration: UInt32?) throws(NetfilterError)
    -> UInt32
  {
    let attempt = applies.withLock { count in
      count += 1
      return count
    }
    beforeApply(attempt)
    defer { afterApply(attempt) }
    return try fake.apply(transaction, expectedGeneration: expectedGeneration)
  }

  func dropCounter(table: String, chain: String) throws(NetfilterError) -> Counter? {
    try fake.dropCounter(table: table, chain: chain)
  }
}

/// Guard settings small enough to trip in tests.
let testGuards = GuardSettings(
  minEntries: 1, maxEntries: 100, maxShrinkPercent: 50, minPrefixLengthV4: 8,
  minPrefixLengthV6: 32)

/// A reconciler over a fresh `FakeNetfilter`, fake sources and a temporary state directory,
/// removed when the harness goes away.
final class Harness: Sendable {
  let directory: String
  let fake: FakeNetfilter
  let clock: TestClock
  let logs = LogCapture()
  /// The sources in configuration order.
  let sources: [FakeSource]
  let configuration: Configuration

  init(
    sources names: [String] = ["cdn"], guards: GuardSettings = testGuards,
    maxStale: Duration = .seconds(3600), metrics: Bool = false,
    retainRemoved: [String: Duration] = [:]
  ) throws {
    directory =
      FileManager.default.temporaryDirectory.path + "/origin-guard-recon-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    fake = FakeNetfilter()
    let clock = TestClock()
    self.clock = clock
    sources = names.map { FakeSource(name: $0, clock: clock) }
    var configuration = Configuration(
      sources: names.map { .static(StaticSourceConfig(name: $0, prefixes: [])) }, guards: guards,
      maxStale: maxStale, stateDirectory: directory + "/state",
      metricsFile: metrics ? directory + "/metrics/origin_guard.prom" : nil)
    configuration.retainRemoved = retainRemoved
    self.configuration = configuration
  }

  deinit {
    try? FileManager.default.removeItem(atPath: directory)
  }

  /// The first source.
  var source: FakeSource { sources[0] }

  var ruleset: GuardRuleset { configuration.ruleset }
  var store: StateStore { StateStore(directory: configuration.stateDirectory) }

  func environment(backend: (any NetfilterBackend)? = nil) -> ReconcilerEnvironment {
    let byName = Dictionary(uniqueKeysWithValues: sources.map { ($0.name, $0) })
    let clock = clock
    return ReconcilerEnvironment(
      backend: backend ?? fake,
      sourceContext: SourceContext(
        logger: logger,
        environment: ProcessEnvironment(variables: [:], homeDirectory: "/nonexistent")),
      makeSource: { config, _ in byName[config.name]! },
      kernelIdentity: { testIdentity },
      now: { clock.now() },
      logger: logger)
  }

  var logger: Logger {
    let logs = logs
    return Logger(label: "origin-guard-test") { _ in CapturingLogHandler(capture: logs) }
  }

  func reconciler(backend: (any NetfilterBackend)? = nil) -> Reconciler {
    Reconciler(configuration: configuration, environment: environment(backend: backend))
  }

  func sync(force: Bool = false, fromCache: Bool = false, backend: (any NetfilterBackend)? = nil)
    async throws(CycleError) -> CycleReport
  {
    try await reconciler(backend: backend).cycle(
      Reconciler.Options(apply: true, force: force, fromCache: fromCache))
  }

  func plan() async throws(CycleError) -> CycleReport {
    try await reconciler().cycle(Reconciler.Options(apply: false))
  }

  /// The error a sync fails with, or nil (and a recorded issue) when it succeeds.
  func syncFailure(
    force: Bool = false, fromCache: Bool = false, backend: (any NetfilterBackend)? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
  ) async -> CycleError? {
    do {
      let report = try await sync(force: force, fromCache: fromCache, backend: backend)
      Issue.record(
        "expected the sync to fail; it succeeded: \(report.summary)", sourceLocation: sourceLocation
      )
      return nil
    } catch {
      return error
    }
  }

  /// What our sets hold in the fake kernel; nil when the table is missing.
  func kernelSet() throws -> DualStackSet? {
    guard let state = try fake.readTable(named: ruleset.tableName, withElements: true) else {
      return nil
    }
    return Planner.currentSet(state, ruleset: ruleset)
  }

  func kernelState() throws -> TableState? {
    try fake.readTable(named: ruleset.tableName, withElements: true)
  }

  var generation: UInt32 { (try? fake.generation()) ?? 0 }
  var commitCount: Int { fake.appliedTransactions.count }
}

// MARK: - Values

/// A prefix from text; traps on a typo in a test.
func prefix(_ text: String) -> AnyIPPrefix {
  try! PrefixParser.parse(text).prefix
}

/// The set of these prefixes, both families.
func addresses(_ prefixes: String...) -> DualStackSet {
  DualStackSet(prefixes: prefixes.map(prefix))
}

func v4Range(_ text: String) -> AddressRange<IPv4Address> {
  guard case .v4(let p) = prefix(text) else { preconditionFailure("\(text) is not IPv4") }
  return p.range
}

func v6Range(_ text: String) -> AddressRange<IPv6Address> {
  guard case .v6(let p) = prefix(text) else { preconditionFailure("\(text) is not IPv6") }
  return p.range
}

extension CycleError {
  /// The refusals of a `.refused` error, empty for any other.
  var refusals: [GuardRefusal] {
    if case .refused(let refusals, _) = self { refusals } else { [] }
  }
}
