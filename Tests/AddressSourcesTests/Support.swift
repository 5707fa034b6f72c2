import AddressSet
import AddressSources
import Foundation
import Logging
import Testing

/// A clock that never waits: it records what a source asked to sleep and moves time forward.
final class TestClock: SourceClock, @unchecked Sendable {
  private let lock = NSLock()
  private var current: Date
  private var sleepsSoFar: [Duration] = []

  init(now: Date = Date(timeIntervalSince1970: 1_790_000_000)) { current = now }

  func now() -> Date { lock.withLock { current } }

  func sleep(for duration: Duration) async throws {
    try Task.checkCancellation()
    lock.withLock {
      sleepsSoFar.append(duration)
      current +=
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
  }

  func advance(by seconds: TimeInterval) { lock.withLock { current += seconds } }

  var sleeps: [Duration] { lock.withLock { sleepsSoFar } }
}

/// A fresh directory under /tmp, removed by `cleanup()`.
struct TemporaryDirectory {
  let path: String

  init() throws {
    path = NSTemporaryDirectory() + "origin-guard-sources-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  }

  @discardableResult
  func write(_ name: String, _ contents: String) throws -> String {
    let file = path + "/" + name
    try FileManager.default.createDirectory(
      atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try contents.write(toFile: file, atomically: true, encoding: .utf8)
    return file
  }

  func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

func makeContext(
  clock: TestClock = TestClock(), variables: [String: String] = [:],
  home: String = "/nonexistent-home",
  fetchStore: (any ConditionalFetchStore)? = nil
) -> SourceContext {
  var logger = Logger(label: "test")
  logger.logLevel = .critical
  return SourceContext(
    logger: logger, clock: clock,
    environment: ProcessEnvironment(variables: variables, homeDirectory: home),
    fetchStore: fetchStore)
}

func prefix(_ text: String) -> AnyIPPrefix {
  try! PrefixParser.parse(text).prefix
}

func address(_ text: String) -> AnyIPAddress {
  try! PrefixParser.parseAddress(text)
}

/// Runs `body` and returns the `SourceError` it threw, failing the test when it did not throw.
func expectSourceError(
  _ body: () async throws(SourceError) -> SourceResult,
  sourceLocation: SourceLocation = #_sourceLocation
) async -> SourceError? {
  do {
    let result = try await body()
    Issue.record(
      "expected an error, got \(result.entries.count) entries", sourceLocation: sourceLocation)
    return nil
  } catch {
    return error
  }
}
