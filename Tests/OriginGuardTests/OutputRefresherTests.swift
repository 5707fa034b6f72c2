import AddressSet
import AddressSources
import Foundation
import Testing

@testable import OriginGuard

/// `outputs:` after a cycle, through `CycleRecorder.record` as every command calls it: written
/// when the list changed, left alone (and no command run) when it did not, errors counted.
@Suite("Outputs after a cycle")
struct OutputRefresherTests {
  /// A configuration with `outputs`, and the recorder over it.
  static func recorder(_ h: Harness, _ outputs: [OutputConfig]) -> CycleRecorder {
    var configuration = h.configuration
    configuration.outputs = outputs
    configuration.metricsFile = h.directory + "/origin_guard.prom"
    return CycleRecorder(configuration: configuration, backend: h.fake, logger: h.logger)
  }

  static func sync(_ h: Harness, _ recorder: CycleRecorder, at seconds: TimeInterval) async throws {
    let report = try await h.sync()
    recorder.record(.success(report), at: testEpoch + seconds, duration: .milliseconds(1))
  }

  /// A command appending a line to `file`: how often it ran.
  static func counting(_ file: String) -> [String] { ["sh", "-c", "echo run >> \(file)"] }

  static func runs(_ file: String) -> Int {
    ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").split(separator: "\n").count
  }

  static func read(_ path: String) throws -> String {
    try String(contentsOfFile: path, encoding: .utf8)
  }

  @Test func anUnchangedListRewritesNothingAndRunsNothing() async throws {
    let h = try Harness()
    let path = h.directory + "/realip.conf"
    let runs = h.directory + "/runs"
    let recorder = Self.recorder(
      h,
      [
        OutputConfig(
          name: "realip", format: .nginxRealIP, path: path, onChange: Self.counting(runs))
      ])
    h.source.list("192.0.2.0/24")
    try await Self.sync(h, recorder, at: 0)
    let first = try Self.read(path)
    #expect(first.contains("set_real_ip_from 192.0.2.0/24;"))
    #expect(first.hasPrefix("# Written by origin-guard at 2026-01-01T00:00:00Z.\n"))
    #expect(Self.runs(runs) == 1)

    // Later, same list: the time line would differ, but nothing is written or run.
    try await Self.sync(h, recorder, at: 600)
    #expect(try Self.read(path) == first)
    #expect(Self.runs(runs) == 1)

    h.source.list("192.0.2.0/24", "198.51.100.0/24")
    try await Self.sync(h, recorder, at: 1200)
    let second = try Self.read(path)
    #expect(second.contains("set_real_ip_from 198.51.100.0/24;"))
    #expect(second.hasPrefix("# Written by origin-guard at 2026-01-01T00:20:00Z.\n"))
    #expect(Self.runs(runs) == 2)
  }

  @Test func anEditedOrDeletedFileIsPutBack() async throws {
    let h = try Harness()
    let path = h.directory + "/allow.conf"
    let recorder = Self.recorder(h, [OutputConfig(name: "allow", format: .nginxAllow, path: path)])
    h.source.list("192.0.2.0/24")
    try await Self.sync(h, recorder, at: 0)
    try "allow all;\n".write(toFile: path, atomically: true, encoding: .utf8)
    try await Self.sync(h, recorder, at: 60)
    #expect(try Self.read(path).hasSuffix("allow 192.0.2.0/24;\ndeny all;\n"))
    try FileManager.default.removeItem(atPath: path)
    try await Self.sync(h, recorder, at: 120)
    #expect(try Self.read(path).hasSuffix("allow 192.0.2.0/24;\ndeny all;\n"))
  }

  @Test func twoOutputsSharingACommandRunItOnce() async throws {
    let h = try Harness()
    let runs = h.directory + "/runs"
    let recorder = Self.recorder(
      h,
      [
        OutputConfig(
          name: "a", format: .nginxRealIP, path: h.directory + "/a.conf",
          onChange: Self.counting(runs)),
        OutputConfig(
          name: "b", format: .nginxAllow, path: h.directory + "/b.conf",
          onChange: Self.counting(runs)),
      ])
    h.source.list("192.0.2.0/24")
    try await Self.sync(h, recorder, at: 0)
    #expect(Self.runs(runs) == 1)
  }

  @Test func aFailedOnChangeRunsAgainAfterTheNextSync() async throws {
    let h = try Harness()
    let runs = h.directory + "/runs"
    // Fails the first time only.
    let flaky = ["sh", "-c", "echo run >> \(runs); [ $(wc -l < \(runs)) -ge 2 ]"]
    let path = h.directory + "/list.txt"
    let recorder = Self.recorder(
      h, [OutputConfig(name: "list", format: .text, path: path, onChange: flaky)])
    h.source.list("192.0.2.0/24")
    try await Self.sync(h, recorder, at: 0)
    #expect(Self.runs(runs) == 1)
    #expect(try Self.read(path).contains("192.0.2.0/24"), "the new content stays")
    var ledger = try h.store.loadOutputLedger()
    #expect(ledger.outputs["list"]?.errorsTotal == 1)
    #expect(ledger.outputs["list"]?.lastError?.contains("exited with status 1") == true)
    let metrics = try Self.read(h.directory + "/origin_guard.prom")
    #expect(metrics.contains("origin_guard_output_errors_total{output=\"list\"} 1"), "\(metrics)")

    try await Self.sync(h, recorder, at: 60)
    #expect(Self.runs(runs) == 2, "owed, so run again with the same list")
    try await Self.sync(h, recorder, at: 120)
    #expect(Self.runs(runs) == 2, "done now")
    ledger = try h.store.loadOutputLedger()
    #expect(ledger.outputs["list"]?.errorsTotal == 1)
  }

  @Test func sourcesPicksTheListsThatGoIn() async throws {
    let h = try Harness(sources: ["alb", "cdn"])
    h.sources[0].list("10.0.0.0/24")
    h.sources[1].list("192.0.2.0/24")
    let only = h.directory + "/alb.txt"
    let all = h.directory + "/all.txt"
    let recorder = Self.recorder(
      h,
      [
        OutputConfig(name: "alb", format: .text, path: only, sources: ["alb"]),
        OutputConfig(name: "all", format: .text, path: all),
      ])
    try await Self.sync(h, recorder, at: 0)
    let albLines = try Self.read(only).split(separator: "\n").filter { !$0.hasPrefix("#") }
    #expect(albLines == ["10.0.0.0/24"])
    #expect(try Self.read(only).contains("# The allow-list from sources alb: 1 prefix."))
    let allLines = try Self.read(all).split(separator: "\n").filter { !$0.hasPrefix("#") }
    #expect(allLines == ["10.0.0.0/24", "192.0.2.0/24"])
  }

  @Test func aFailedSyncWritesNoOutput() async throws {
    let h = try Harness()
    let path = h.directory + "/list.txt"
    let recorder = Self.recorder(h, [OutputConfig(name: "list", format: .text, path: path)])
    h.source.fail()
    let error = await h.syncFailure()
    recorder.record(.failure(try #require(error)), at: testEpoch, duration: .milliseconds(1))
    #expect(!FileManager.default.fileExists(atPath: path))
  }
}
