import Foundation
import TestSupport
import Testing

/// The Prometheus text file written after every cycle.
@Suite("origin-guard metrics file")
struct CommandMetricsTests {
  @Test(.enabled(if: KernelTests.enabled))
  func aSyncWritesEveryDocumentedMetric() async throws {
    try await withCommandSetup { setup in
      try setup.writeConfig()
      try setup.writeList(["203.0.113.0/24", "198.51.100.7/32", "2001:db8:1::/48"])
      try setup.originGuard("sync")

      let text = try String(contentsOfFile: setup.metricsPath, encoding: .utf8)
      let samples = Dictionary(
        text.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { line in
          line.split(separator: " ", maxSplits: 1).count == 2
            ? (String(line.split(separator: " ")[0]), String(line.split(separator: " ")[1])) : nil
        },
        uniquingKeysWith: { first, _ in first })
      let expected: [String: String?] = [
        "origin_guard_last_success_timestamp_seconds": nil,
        "origin_guard_last_attempt_timestamp_seconds": nil,
        "origin_guard_last_attempt_result{result=\"success\"}": "1",
        "origin_guard_last_attempt_result{result=\"refused\"}": "0",
        "origin_guard_last_attempt_result{result=\"source_failed\"}": "0",
        "origin_guard_last_attempt_result{result=\"locked\"}": "0",
        "origin_guard_last_attempt_result{result=\"error\"}": "0",
        "origin_guard_last_duration_seconds": nil,
        "origin_guard_last_change_added_prefixes": "3",
        "origin_guard_last_change_removed_prefixes": "0",
        "origin_guard_last_change_timestamp_seconds": nil,
        "origin_guard_set_elements{family=\"ipv4\"}": "2",
        "origin_guard_set_elements{family=\"ipv6\"}": "1",
        "origin_guard_set_prefixes{family=\"ipv4\"}": "2",
        "origin_guard_set_prefixes{family=\"ipv6\"}": "1",
        "origin_guard_source_up{source=\"list\"}": "1",
        "origin_guard_source_using_cache{source=\"list\"}": "0",
        "origin_guard_source_errors_total{source=\"list\"}": "0",
        "origin_guard_source_cache_fallbacks_total{source=\"list\"}": "0",
        "origin_guard_drift_repairs_total{trigger=\"cycle\"}": "0",
        "origin_guard_drift_repairs_total{trigger=\"event\"}": "0",
        "origin_guard_dropped_packets_total": "0",
        "origin_guard_dropped_bytes_total": "0",
      ]
      for (name, value) in expected {
        let sample = samples[name]
        #expect(sample != nil, "\(name) missing from\n\(text)")
        if let value {
          #expect(sample.flatMap { Double($0) } == Double(value), "\(name) = \(sample ?? "-")")
        }
      }
      let now = Date().timeIntervalSince1970
      let lastSuccess =
        samples["origin_guard_last_success_timestamp_seconds"].flatMap { Double($0) } ?? 0
      #expect(abs(now - lastSuccess) < 120)
      let attributes = try FileManager.default.attributesOfItem(atPath: setup.metricsPath)
      #expect((attributes[.posixPermissions] as? Int) == 0o644)
    }
  }
}
