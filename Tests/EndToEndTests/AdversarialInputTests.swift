import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// A hostile or broken source, and a careless configuration, against the built binary in a
/// throwaway namespace: huge lines, duplicates, a list that merges to everything, a refused
/// port, an untrusted certificate, a shutdown during a fetch. Every output stays bounded and
/// every failure is quick and says what to do.
@Suite("Adversarial: input", .enabled(if: KernelTests.enabled))
struct AdversarialInputTests {
  /// What one message, the run record or a whole stderr may take: journald splits lines over
  /// 48 KiB.
  static let bound = 64 * 1024

  /// What `body` returned and how many seconds it took.
  static func timed<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    let clock = ContinuousClock()
    let start = clock.now
    let result = try body()
    let elapsed = clock.now - start
    return (
      result,
      Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    )
  }

  static func size(of path: String) throws -> Int {
    try (FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
  }

  // MARK: - Sizes

  /// One address 100,000 times (1 MB): a sync in seconds (it took 18 s, quadratic in the
  /// duplicates), and `plan` prints the prefix once with its listings capped.
  @Test func oneAddressRepeatedAHundredThousandTimesIsQuickAndPrintedOnce() async throws {
    try await withCommandSetup { setup in
      try setup.writeConfig()
      try setup.writeList(Array(repeating: "203.0.113.7", count: 100_000))
      let (plan, planSeconds) = try Self.timed { try setup.originGuard("plan") }
      #expect(planSeconds < 10, "plan of 100,000 duplicates took \(planSeconds) s")
      #expect(plan.output.utf8.count < Self.bound, "plan printed \(plan.output.utf8.count) bytes")
      #expect(plan.output.contains("+ 203.0.113.7/32"))
      #expect(plan.output.contains("and 99,980 more listings"))
      let json = try setup.planJSON()
      let added = try #require(json["add"] as? [[String: Any]])
      #expect((added.first?["provenance"] as? [Any])?.count == 20)
      #expect(added.first?["provenance_omitted"] as? Int == 99_980)

      let (_, syncSeconds) = try Self.timed { try setup.originGuard("sync") }
      #expect(syncSeconds < 10, "sync of 100,000 duplicates took \(syncSeconds) s")
      #expect(try setup.allowed() == ["203.0.113.7/32"])
    }
  }

  /// 65,536 /16s that merge to 0.0.0.0/0: refused (exit 3), with the 65,536 contributing
  /// lines cut to 20 on stderr and in last-run.json (it wrote 7.2 MB and 3.4 MB).
  @Test func aRefusalOfSixtyFiveThousandListingsStaysSmall() async throws {
    try await withCommandSetup { setup in
      try setup.writeConfig()
      try setup.writeList((0..<65_536).map { "\($0 >> 8).\($0 & 255).0.0/16" })
      let result = try setup.originGuard("sync", exits: 3)
      #expect(result.errorOutput.contains("0.0.0.0/0 allows every address"))
      #expect(result.errorOutput.contains("and 65,516 more listings"))
      #expect(result.errorOutput.utf8.count < Self.bound, "\(result.errorOutput.utf8.count) bytes")
      let record = try Self.size(of: setup.stateDirectory + "/last-run.json")
      #expect(record < Self.bound, "last-run.json is \(record) bytes")
      #expect(try setup.tables().isEmpty)
    }
  }

  /// A 5 MB line that is not an address: quoted by its first 200 characters with the count
  /// of what was left out (a 50 MB line made a 50 MB last-run.json).
  @Test func aFiveMegabyteInvalidLineIsQuotedShort() async throws {
    try await withCommandSetup { setup in
      try setup.writeConfig()
      try setup.writeList(["203.0.113.7", "198.51.100." + String(repeating: "9", count: 5_000_000)])
      let result = try setup.originGuard("sync", exits: 5)
      #expect(result.errorOutput.contains("is not an address or prefix"))
      #expect(result.errorOutput.contains("(4,999,811 more bytes)"))
      #expect(result.errorOutput.utf8.count < Self.bound, "\(result.errorOutput.utf8.count) bytes")
      let record = try Self.size(of: setup.stateDirectory + "/last-run.json")
      #expect(record < Self.bound, "last-run.json is \(record) bytes")
    }
  }

  /// `on_invalid_entry: skip` with 50,000 bad lines: 20 warnings and a count, not 50,000.
  @Test func fiftyThousandSkippedLinesAreLoggedAsTwentyAndACount() async throws {
    try await withCommandSetup { setup in
      try setup.writeConfig(sources: setup.fileSource + "\n    on_invalid_entry: skip")
      try setup.writeList(["203.0.113.7"] + Array(repeating: "not-an-address", count: 50_000))
      let result = try setup.originGuard("sync")
      #expect(result.errorOutput.contains("and 49,980 more skipped entries"))
      #expect(result.errorOutput.utf8.count < Self.bound, "\(result.errorOutput.utf8.count) bytes")
      #expect(try setup.allowed() == ["203.0.113.7/32"])
    }
  }

  // MARK: - Notes the README promises

  /// Host bits masked and an IPv4-mapped address converted are reported by `plan`,
  /// `plan --json` and `sync --verbose` (they were silent).
  @Test func whatTheParserChangedIsShown() async throws {
    try await withCommandSetup { setup in
      try setup.writeConfig()
      try setup.writeList(["203.0.113.77/25", "::ffff:192.0.2.9", "198.51.100.0/24"])
      let masked = "203.0.113.77/25 has host bits set; masked to its network: 203.0.113.0/25"
      let mapped = "::ffff:192.0.2.9 is IPv4-mapped; used as IPv4: 192.0.2.9/32"
      let plan = try setup.originGuard("plan")
      #expect(plan.output.contains("Changed by the parser (2 entries):"))
      #expect(plan.output.contains("line 2: " + masked))
      #expect(plan.output.contains("line 3: " + mapped))
      let notes = try #require(try setup.planJSON()["notes"] as? [[String: Any]])
      #expect(notes.map { $0["prefix"] as? String } == ["203.0.113.0/25", "192.0.2.9/32"])
      let sync = try setup.originGuard("sync", "--verbose")
      #expect(sync.output.contains(masked))
      #expect(sync.output.contains(mapped))
      #expect(sync.errorOutput.contains(masked), "the log line")
    }
  }

  // MARK: - Connections that cannot succeed

  /// Nothing listens on the port (a fresh namespace's loopback): the sync fails in about a
  /// second with the retries, not 3 × connect_timeout (30.9 s), and says so.
  @Test func aRefusedPortFailsAtOnce() async throws {
    try await withCommandSetup { setup in
      try setup.namespace.run(["ip", "link", "set", "lo", "up"])
      try setup.writeConfig(
        sources: """
            - name: web
              type: url
              url: http://127.0.0.1:9/list.txt
          """)
      let (result, elapsed) = try Self.timed { try setup.originGuard("sync", exits: 5) }
      #expect(elapsed < 5, "a refused port took \(elapsed) s")
      #expect(result.errorOutput.contains("connection refused"), "\(result.errorOutput)")
      #expect(result.errorOutput.contains("check the URL"))
    }
  }

  /// A self-signed certificate: refused at once and not retried (it took 31 s), with what
  /// to do.
  @Test func anUntrustedCertificateFailsAtOnceWithoutRetrying() async throws {
    try await withCommandSetup { setup in
      try setup.namespace.run(["ip", "link", "set", "lo", "up"])
      let cert = setup.directory + "/cert.pem"
      let key = setup.directory + "/key.pem"
      try run([
        "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost",
        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
      ])
      let server = try CommandProcess(
        [
          "ip", "netns", "exec", setup.namespace.name, "openssl", "s_server", "-accept",
          "127.0.0.1:8443", "-cert", cert, "-key", key, "-www",
        ], logPrefix: setup.directory + "/tls")
      defer { server.stop() }
      try waitUntil("the TLS server listens") { server.output.contains("ACCEPT") }
      try setup.writeConfig(
        sources: """
            - name: web
              type: url
              url: https://127.0.0.1:8443/list.txt
          """)
      let (result, elapsed) = try Self.timed { try setup.originGuard("sync", exits: 5) }
      #expect(elapsed < 3, "an untrusted certificate took \(elapsed) s")
      #expect(result.errorOutput.contains("certificate is not trusted"), "\(result.errorOutput)")
      #expect(result.errorOutput.contains("system trust store"))
      #expect(!result.errorOutput.contains("retrying"), "a certificate failure is not retried")
    }
  }

  /// SIGTERM while a download stalls: the daemon says it is shutting down, not that the
  /// source timed out ("no complete response within 30.0 seconds").
  @Test func aShutdownDuringAFetchIsNotATimeout() async throws {
    try await withCommandSetup { setup in
      try setup.namespace.run(["ip", "link", "set", "lo", "up"])
      let server = try NamespaceHTTPServer(in: setup.namespace) { _ in
        .stallBody(status: 200, firstBytes: Array("203.0.113.7\n".utf8))
      }
      defer { server.stop() }
      try setup.writeConfig(
        sources: """
            - name: web
              type: url
              url: \(server.baseURL)/list.txt
              timeout: 10m
          """)
      // A loaded CI machine once took 30 s to get from the first request to the signal: with
      // the default timeout the fetch had really timed out by then.
      // The test runner's children start with SIGTERM blocked: unblock it for the daemon.
      let unblocking =
        "import os, signal, sys; signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM}); os.execvp(sys.argv[1], sys.argv[1:])"
      let daemon = try CommandProcess(
        ["/usr/bin/python3", "-c", unblocking] + setup.commandLine(["run"]),
        logPrefix: setup.directory + "/daemon")
      defer { daemon.stop() }
      try waitUntil("the daemon is downloading") { !server.requests.isEmpty }
      try await Task.sleep(for: .milliseconds(300))
      daemon.signal(SIGTERM)
      let status = daemon.waitForExit(timeout: .seconds(10))
      #expect(status != nil, "the daemon did not stop on SIGTERM")
      #expect(daemon.errorOutput.contains("shutting down"), "\(daemon.errorOutput)")
      #expect(!daemon.errorOutput.contains("no complete response"), "\(daemon.errorOutput)")
    }
  }

  // MARK: - The operator's side

  /// `--log-format json`: every line on stderr is a JSON object, the refusal included, and a
  /// configuration that cannot be read.
  @Test func jsonLogFormatMeansEveryStderrLineIsJSON() async throws {
    try await withCommandSetup { setup in
      try setup.writeConfig(extra: "guards:\n  min_entries: 5")
      try setup.writeList(["203.0.113.7"])
      let refused = try setup.originGuard("sync", "--log-format", "json", exits: 3)
      let broken = setup.directory + "/broken.yaml"
      try "prots: [80]\n".write(toFile: broken, atomically: false, encoding: .utf8)
      let unreadable = try run(
        [
          "ip", "netns", "exec", setup.namespace.name, OriginGuardBinary.path, "sync",
          "--log-format", "json", "-c", broken,
        ], check: false)
      #expect(unreadable.status == 1)
      for (what, stderr) in [("refusal", refused.errorOutput), ("config", unreadable.errorOutput)] {
        let lines = stderr.split(separator: "\n")
        #expect(!lines.isEmpty, "\(what)")
        for line in lines {
          let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
          #expect(object?["message"] is String, "\(what): not a JSON log line: \(line)")
        }
      }
      #expect(refused.errorOutput.contains("fewer than min_entries"))
    }
  }

  /// `validate` refuses the drop_log the kernel refuses (EOVERFLOW at the first sync), and
  /// what it accepts at the bound the kernel really takes.
  @Test func validateRefusesTheDropLogTheKernelRefuses() async throws {
    try await withCommandSetup { setup in
      try setup.writeList(["203.0.113.7"])
      try setup.writeConfig(extra: "drop_log: {rate: 1/week, burst: 1000000}")
      let refused = try setup.originGuard("validate", exits: 1)
      #expect(refused.errorOutput.contains("refused by the kernel"), "\(refused.errorOutput)")
      #expect(refused.errorOutput.contains("at most 30500"))

      try setup.writeConfig(extra: "drop_log: {rate: 1/week, burst: 30500}")
      try setup.originGuard("validate")
      try setup.originGuard("sync")
      #expect(try setup.ruleset().contains("limit rate 1/week burst 30500 packets"))
    }
  }

  /// `export` on a host that never synced: say what to do, without a flag nobody typed.
  @Test func exportOnANewHostSaysWhatToDo() async throws {
    try await withCommandSetup { setup in
      try setup.writeConfig()
      try setup.writeList(["203.0.113.7"])
      let result = try setup.originGuard("export", exits: 5)
      #expect(!result.errorOutput.contains("--from-cache"), "\(result.errorOutput)")
      #expect(result.errorOutput.contains("origin-guard export --fresh"))
      #expect(result.errorOutput.contains("origin-guard sync"))
      let fresh = try setup.originGuard("export", "--fresh")
      #expect(fresh.output.contains("203.0.113.7/32"))
    }
  }
}
