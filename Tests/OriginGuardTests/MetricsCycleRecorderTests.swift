import AddressSet
import AddressSources
import Foundation
import Netfilter
import Testing

@testable import OriginGuard

/// The run record and the Prometheus file after success, refusal and source failure.
///
/// The registry writes metric families in hash order, which changes from run to run, so the
/// golden comparisons sort the lines; `expectWellFormed` checks the order that matters (each
/// family's HELP and TYPE before its samples).
@Suite("Cycle recorder and metrics file")
struct MetricsCycleRecorderTests {
  private func recorder(_ h: Harness) -> CycleRecorder {
    CycleRecorder(configuration: h.configuration, backend: h.fake, logger: h.logger)
  }

  private func metricsLines(_ h: Harness) throws -> [String] {
    let path = try #require(h.configuration.metricsFile)
    return try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
  }

  /// Every sample follows the TYPE line of its family, and each family appears once.
  private func expectWellFormed(
    _ lines: [String], sourceLocation: SourceLocation = #_sourceLocation
  ) {
    var seen: Set<String> = []
    var current: String?
    for line in lines {
      if line.hasPrefix("# HELP ") { continue }
      if line.hasPrefix("# TYPE ") {
        let name = String(line.dropFirst(7).split(separator: " ")[0])
        #expect(seen.insert(name).inserted, "family \(name) twice", sourceLocation: sourceLocation)
        current = name
        continue
      }
      let name = String(line.prefix { $0 != "{" && $0 != " " })
      // A summary's samples are `<family>_sum` and `<family>_count`.
      #expect(
        [current, current.map { $0 + "_sum" }, current.map { $0 + "_count" }].contains(name),
        "sample \(line) outside its family", sourceLocation: sourceLocation)
    }
  }

  /// The lines of one successful first sync, exactly (sorted).
  static let successGolden = """
    # HELP origin_guard_drift_exposure_seconds Time from noticing someone else's change to our table to the repair's commit.
    # HELP origin_guard_drift_repairs_total Repairs of what someone else changed in our table: by a sync (cycle) or right after the change (event).
    # HELP origin_guard_dropped_bytes_total Bytes to the guarded ports dropped.
    # HELP origin_guard_dropped_packets_total Packets to the guarded ports dropped (counter in the guard chain).
    # HELP origin_guard_last_attempt_result 1 for the result of the last attempt, 0 for the others.
    # HELP origin_guard_last_attempt_timestamp_seconds Unix time of the last sync attempt.
    # HELP origin_guard_last_change_added_prefixes Prefixes added by the last change.
    # HELP origin_guard_last_change_removed_prefixes Prefixes removed by the last change.
    # HELP origin_guard_last_change_timestamp_seconds Unix time of the last change applied.
    # HELP origin_guard_last_duration_seconds Duration of the last attempt.
    # HELP origin_guard_last_success_timestamp_seconds Unix time of the last successful sync.
    # HELP origin_guard_set_elements Interval elements (ranges) in the kernel set.
    # HELP origin_guard_set_prefixes CIDR prefixes in the kernel set.
    # HELP origin_guard_source_cache_fallbacks_total Runs that used the source's last-known-good list.
    # HELP origin_guard_source_errors_total Failed fetches of the source.
    # HELP origin_guard_source_up 1 when the source was fetched in the last attempt.
    # HELP origin_guard_source_using_cache 1 when the source's last-known-good list stood in.
    # TYPE origin_guard_drift_exposure_seconds summary
    # TYPE origin_guard_drift_repairs_total counter
    # TYPE origin_guard_dropped_bytes_total counter
    # TYPE origin_guard_dropped_packets_total counter
    # TYPE origin_guard_last_attempt_result gauge
    # TYPE origin_guard_last_attempt_timestamp_seconds gauge
    # TYPE origin_guard_last_change_added_prefixes gauge
    # TYPE origin_guard_last_change_removed_prefixes gauge
    # TYPE origin_guard_last_change_timestamp_seconds gauge
    # TYPE origin_guard_last_duration_seconds gauge
    # TYPE origin_guard_last_success_timestamp_seconds gauge
    # TYPE origin_guard_set_elements gauge
    # TYPE origin_guard_set_prefixes gauge
    # TYPE origin_guard_source_cache_fallbacks_total counter
    # TYPE origin_guard_source_errors_total counter
    # TYPE origin_guard_source_up gauge
    # TYPE origin_guard_source_using_cache gauge
    origin_guard_drift_exposure_seconds_count 0
    origin_guard_drift_exposure_seconds_sum 0.0
    origin_guard_drift_repairs_total{trigger="cycle"} 0
    origin_guard_drift_repairs_total{trigger="event"} 0
    origin_guard_dropped_bytes_total 420
    origin_guard_dropped_packets_total 7
    origin_guard_last_attempt_result{result="error"} 0.0
    origin_guard_last_attempt_result{result="locked"} 0.0
    origin_guard_last_attempt_result{result="refused"} 0.0
    origin_guard_last_attempt_result{result="source_failed"} 0.0
    origin_guard_last_attempt_result{result="success"} 1.0
    origin_guard_last_attempt_timestamp_seconds 1767225610.0
    origin_guard_last_change_added_prefixes 3.0
    origin_guard_last_change_removed_prefixes 0.0
    origin_guard_last_change_timestamp_seconds 1767225610.0
    origin_guard_last_duration_seconds 0.25
    origin_guard_last_success_timestamp_seconds 1767225610.0
    origin_guard_set_elements{family="ipv4"} 2.0
    origin_guard_set_elements{family="ipv6"} 1.0
    origin_guard_set_prefixes{family="ipv4"} 2.0
    origin_guard_set_prefixes{family="ipv6"} 1.0
    origin_guard_source_cache_fallbacks_total{source="cdn"} 0
    origin_guard_source_errors_total{source="cdn"} 0
    origin_guard_source_up{source="cdn"} 1.0
    origin_guard_source_using_cache{source="cdn"} 0.0
    """

  @Test func aSuccessfulSyncWritesTheRecordAndTheMetricsFile() async throws {
    let h = try Harness(metrics: true)
    h.source.list("192.0.2.0/24", "198.51.100.0/25", "2001:db8::/48")
    var report = try await h.sync()
    report.duration = .milliseconds(250)
    h.fake.simulateDroppedPackets(7, bytes: 420, table: "origin_guard", chain: "guard")

    recorder(h).record(.success(report), at: testEpoch + 10, duration: .milliseconds(250))

    let record = try h.store.loadRunRecord()
    #expect(record.result == "success")
    #expect(record.message == report.summary)
    #expect(record.attemptedAt == testEpoch + 10)
    #expect(record.lastSuccessAt == testEpoch + 10)
    #expect(record.lastChangeAt == testEpoch + 10)
    #expect(record.lastAdded == 3)
    #expect(record.lastRemoved == 0)
    #expect(record.durationSeconds == 0.25)
    #expect(record.runsTotal == ["success": 1])
    #expect(record.driftRepairsTotal == 0)  // creating the table is no repair
    #expect(
      record.sources
        == ["cdn": .init(status: "fresh", errorsTotal: 0, cacheFallbacksTotal: 0)])

    let lines = try metricsLines(h)
    expectWellFormed(lines)
    #expect(lines.sorted() == Self.successGolden.split(separator: "\n").map(String.init))
    #expect(h.logs.messages.contains("sync: \(report.summary)"))

    let attributes = try FileManager.default.attributesOfItem(atPath: h.configuration.metricsFile!)
    #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o644)
  }

  @Test func aRefusalIsCountedPerGuardAndKeepsTheLastSuccess() async throws {
    let h = try Harness(metrics: true)
    h.source.list("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
    let report = try await h.sync()
    let recorder = recorder(h)
    recorder.record(.success(report), at: testEpoch + 10, duration: .milliseconds(250))

    h.source.list("192.0.2.0/24")
    for attempt in 1...2 {
      let error = try #require(await h.syncFailure())
      recorder.record(
        .failure(error), at: testEpoch + 20 * Double(attempt), duration: .milliseconds(500))
    }

    let record = try h.store.loadRunRecord()
    #expect(record.result == "refused")
    #expect(
      record.message?.hasPrefix("refused, the kernel was not changed: applying would remove")
        == true)
    #expect(record.guardRefusalsTotal == ["max_shrink_percent": 2])
    #expect(record.runsTotal == ["success": 1, "refused": 2])
    #expect(record.lastSuccessAt == testEpoch + 10)
    #expect(record.attemptedAt == testEpoch + 40)

    let lines = try metricsLines(h)
    expectWellFormed(lines)
    for expected in [
      #"origin_guard_last_attempt_result{result="refused"} 1.0"#,
      #"origin_guard_last_attempt_result{result="success"} 0.0"#,
      #"origin_guard_guard_refusals_total{guard="max_shrink_percent"} 2"#,
      "# TYPE origin_guard_guard_refusals_total counter",
      "origin_guard_last_success_timestamp_seconds 1767225610.0",
      "origin_guard_last_attempt_timestamp_seconds 1767225640.0",
      "origin_guard_last_duration_seconds 0.5",
      #"origin_guard_set_prefixes{family="ipv4"} 3.0"#,
    ] {
      #expect(lines.contains(expected), "missing \(expected)")
    }
    #expect(h.logs.warnings.contains { $0.hasPrefix("sync failed: refused") })
  }

  @Test func sourceFailuresAndCacheFallbacksAreCountedPerSource() async throws {
    let h = try Harness(metrics: true)
    let recorder = recorder(h)
    h.source.list("192.0.2.0/24")
    recorder.record(.success(try await h.sync()), at: testEpoch, duration: .seconds(1))

    h.source.fail()
    h.clock.advance(seconds: 60)
    recorder.record(.success(try await h.sync()), at: testEpoch + 60, duration: .seconds(1))
    var record = try h.store.loadRunRecord()
    #expect(record.result == "success")
    #expect(record.sources["cdn"]?.status == "cache")
    #expect(record.sources["cdn"]?.cacheFallbacksTotal == 1)
    #expect(record.sources["cdn"]?.errorsTotal == 1)
    #expect(record.sources["cdn"]?.lastErrorAt == testEpoch + 60)
    var lines = try metricsLines(h)
    #expect(lines.contains(#"origin_guard_source_up{source="cdn"} 0.0"#))
    #expect(lines.contains(#"origin_guard_source_using_cache{source="cdn"} 1.0"#))
    #expect(lines.contains(#"origin_guard_source_cache_fallbacks_total{source="cdn"} 1"#))

    h.clock.advance(seconds: 7200)
    let error = try #require(await h.syncFailure())
    recorder.record(.failure(error), at: testEpoch + 7260, duration: .seconds(2))
    record = try h.store.loadRunRecord()
    #expect(record.result == "source_failed")
    #expect(record.runsTotal == ["success": 2, "source_failed": 1])
    #expect(record.sources["cdn"]?.status == "failed")
    #expect(record.sources["cdn"]?.errorsTotal == 2)
    #expect(record.sources["cdn"]?.lastError?.contains("connection refused") == true)
    #expect(record.lastSuccessAt == testEpoch + 60)
    lines = try metricsLines(h)
    expectWellFormed(lines)
    for expected in [
      #"origin_guard_last_attempt_result{result="source_failed"} 1.0"#,
      #"origin_guard_source_up{source="cdn"} 0.0"#,
      #"origin_guard_source_using_cache{source="cdn"} 0.0"#,
      #"origin_guard_source_errors_total{source="cdn"} 2"#,
      #"origin_guard_source_cache_fallbacks_total{source="cdn"} 1"#,
      "origin_guard_last_success_timestamp_seconds 1767225660.0",
    ] {
      #expect(lines.contains(expected), "missing \(expected)")
    }
  }

  @Test func aRepairedDriftIsCounted() async throws {
    let h = try Harness(metrics: true)
    let recorder = recorder(h)
    h.source.list("192.0.2.0/24")
    recorder.record(.success(try await h.sync()), at: testEpoch, duration: .seconds(1))
    h.fake.simulateDrift(table: "origin_guard") { $0.chains[0].base?.policy = .drop }

    let report = try await h.sync()
    recorder.record(.success(report), at: testEpoch + 60, duration: .seconds(1))

    #expect(try h.store.loadRunRecord().driftRepairsTotal == 1)
    #expect(try metricsLines(h).contains("origin_guard_drift_repairs_total{trigger=\"cycle\"} 1"))
  }

  @Test func otherFailuresAreErrors() {
    #expect(CycleRecorder.resultName(.kernel(.busy(operation: "x"))) == "error")
    #expect(CycleRecorder.resultName(.verificationFailed("x")) == "error")
    #expect(CycleRecorder.resultName(.generationKeptChanging(attempts: 6)) == "error")
    #expect(CycleRecorder.resultName(.noCache(source: "cdn")) == "source_failed")
    #expect(CycleRecorder.resultName(.state(.locked(path: "/x"))) == "locked")
  }

  @Test func withoutAMetricsFileOnlyTheRecordIsWritten() async throws {
    let h = try Harness()
    h.source.list("192.0.2.0/24")
    let report = try await h.sync()
    recorder(h).record(.success(report), at: testEpoch, duration: .seconds(1))
    #expect(try h.store.loadRunRecord().result == "success")
    #expect(!FileManager.default.fileExists(atPath: h.directory + "/metrics"))
  }
}

@Suite("Exit codes")
struct ReconcilerExitCodeTests {
  @Test func everyFailureHasItsExitCode() {
    let sourceError = SourceError.timedOut(source: "cdn", url: "https://x", after: .seconds(5))
    #expect(
      CycleError.sourcesFailed([.failed(sourceError, cacheAge: nil)]).exitCode == .sourceFailed)
    #expect(CycleError.noCache(source: "cdn").exitCode == .sourceFailed)
    #expect(CycleError.refused([.emptyList], plan: nil).exitCode == .refused)
    #expect(CycleError.state(.locked(path: "/x")).exitCode == .locked)
    #expect(CycleError.state(.io(operation: "write", errno: 28)).exitCode == .failure)
    #expect(CycleError.state(.corrupt(path: "/x", reason: "y")).exitCode == .failure)
    #expect(CycleError.kernel(.permissionDenied(operation: "x")).exitCode == .failure)
    #expect(CycleError.generationKeptChanging(attempts: 6).exitCode == .failure)
    #expect(CycleError.verificationFailed("x").exitCode == .failure)
  }

  @Test func exitCodesAreStable() {
    #expect(ExitCode.allCases.map(\.rawValue) == [0, 1, 2, 3, 4, 5, 6, 7, 8])
    #expect(ExitCode.allCases.allSatisfy { !$0.meaning.isEmpty })
  }
}
