import Foundation
import TestSupport
import Testing

/// Every way a source can fail, each after a good sync, with the real binary in a namespace:
/// the faulty run must leave the kernel exactly as it was (same `nft -j list ruleset`, same
/// generation: no commit at all), keep the last-known-good list, and say what happened in its
/// exit code and metrics.
@Suite("Reliability: source faults", .enabled(if: KernelTests.enabled))
struct ReliabilitySourceFaultTests {
  @Test(arguments: SourceFault.allCases)
  func faultyRunChangesNothing(_ fault: SourceFault) async throws {
    try await GuardSandbox.with { sandbox in
      let api = try NamespaceHTTPServer(in: sandbox.namespace, handler: fault.goodAnswer)
      let metadata = try NamespaceHTTPServer(in: sandbox.namespace, handler: MetadataFake.answer)
      try sandbox.writeConfiguration(
        sources: fault.sourceYAML(api: api.baseURL, metadata: metadata.baseURL),
        extra: fault.extraConfiguration)

      let good = try sandbox.originGuard("sync")
      try #require(good.status == 0, "good sync: \(good.errorOutput)")
      #expect(try sandbox.kernelElements(set: "allowed_v4") == Set(SourceFault.goodIPv4))
      #expect(try sandbox.kernelElements(set: "allowed_v6") == Set(TestLists.ipv6))
      let rulesetBefore = try sandbox.ruleset()
      let generationBefore = try sandbox.generation()

      var tlsServer: ReliabilityProcess?
      switch fault.injection {
      case .answer(let handler):
        api.answer(with: handler)
      case .stopServer(let which):
        (which == .metadata ? metadata : api).stop()
      case .selfSignedTLS:
        tlsServer = try SelfSignedTLSServer.start(in: sandbox)
        try sandbox.writeConfiguration(
          sources: fault.sourceYAML(
            api: "https://127.0.0.1:\(SelfSignedTLSServer.port)", metadata: metadata.baseURL),
          extra: fault.extraConfiguration)
      }
      defer { tlsServer?.stop() }

      let faulty = try sandbox.originGuard("sync")
      #expect(
        faulty.status == fault.expectedExitCode,
        "exit \(faulty.status), stderr: \(faulty.errorOutput)")
      for text in fault.expectedMessages {
        #expect(faulty.errorOutput.contains(text), "\(text) not in: \(faulty.errorOutput)")
      }

      // The kernel: not a byte different, and nothing committed.
      #expect(try sandbox.ruleset() == rulesetBefore)
      #expect(try sandbox.generation() == generationBefore)
      // The last-known-good list is what would be applied and exported.
      #expect(try sandbox.exportedPrefixes() == Set(SourceFault.goodIPv4 + TestLists.ipv6))

      let metrics = try sandbox.metrics()
      let result = fault.expectedRefusal == nil ? "success" : "refused"
      #expect(metrics.value("last_attempt_result", ["result": result]) == 1)
      #expect(
        metrics.value("source_using_cache", ["source": "fleet"])
          == (fault.expectedRefusal == nil ? 1 : 0))
      if let refusal = fault.expectedRefusal {
        #expect(metrics.value("guard_refusals_total", ["guard": refusal]) == 1)
      } else {
        #expect(metrics.value("source_up", ["source": "fleet"]) == 0)
        #expect(metrics.value("source_cache_fallbacks_total", ["source": "fleet"]) == 1)
        let refusals = metrics.samples.filter { sample in
          sample.name == "origin_guard_guard_refusals_total"
        }
        #expect(refusals.isEmpty)
      }
      let status = try sandbox.status()
      let lastAttempt = status["last_attempt"] as? [String: Any]
      #expect(lastAttempt?["result"] as? String == result)
    }
  }
}

/// One row of the table: how the source is configured, how its faulty run goes wrong, and
/// what origin-guard must say about it.
enum SourceFault: String, CaseIterable, Sendable, CustomTestStringConvertible {
  case http500
  case http503
  case connectionRefused
  case timeoutMidBody
  case tlsSelfSigned
  case malformedJSON
  case truncatedJSON
  case emptyList
  case shrankNinetyPercent
  case grewHundredfold
  case hundredMegabyteBody
  case entriesNotAddresses
  case everyAddress
  case alibabaThrottled
  case alibabaThrottledWithRetryAfter
  case alibabaMalformedAnswer
  case alibabaClockSkew
  case alibabaExpiredSTSToken
  case metadataServiceDown

  var testDescription: String { rawValue }

  static let goodIPv4 = TestLists.ipv4(100)
  static let goodList = TestLists.text(goodIPv4 + TestLists.ipv6)
  static let domain = "www.example.com"

  enum Kind { case url, alibabaInline, alibabaSTS, alibabaECSRole }

  var kind: Kind {
    switch self {
    case .alibabaThrottled, .alibabaThrottledWithRetryAfter, .alibabaMalformedAnswer,
      .alibabaClockSkew:
      .alibabaInline
    case .alibabaExpiredSTSToken: .alibabaSTS
    case .metadataServiceDown: .alibabaECSRole
    default: .url
    }
  }

  enum Server { case api, metadata }

  enum Injection {
    case answer(NamespaceHTTPServer.Handler)
    case stopServer(Server)
    /// The URL moves to an HTTPS server whose certificate nobody signed.
    case selfSignedTLS
  }

  var injection: Injection {
    switch self {
    case .http500: .answer { _ in .text("internal error", status: 500) }
    case .http503: .answer { _ in .text("busy", status: 503, headers: [("Retry-After", "1")]) }
    case .connectionRefused: .stopServer(.api)
    case .timeoutMidBody:
      .answer { _ in .stallBody(status: 200, firstBytes: Array("10.0.0.0/24\n".utf8)) }
    case .tlsSelfSigned: .selfSignedTLS
    case .malformedJSON: .answer { _ in .json(#"["10.0.0.0/24", 10.0.2.0/24]"#) }
    case .truncatedJSON:
      .answer { _ in
        let json = "[" + Self.goodIPv4.map { "\"\($0)\"" }.joined(separator: ",") + "]"
        return .json(String(json.prefix(json.count / 2)))
      }
    case .emptyList: .answer { _ in .text("# nothing today\n") }
    case .shrankNinetyPercent:
      .answer { _ in .text(TestLists.text(TestLists.ipv4(10) + TestLists.ipv6)) }
    case .grewHundredfold:
      .answer { _ in .text(TestLists.text(TestLists.ipv4(10_000) + TestLists.ipv6)) }
    case .hundredMegabyteBody:
      .answer { _ in
        let line = Array("10.0.0.0/24\n".utf8)
        let chunk = Array(repeating: line, count: 65_536 / line.count).flatMap { $0 }
        return .stream(status: 200, chunk: chunk, count: 100 * 1_048_576 / chunk.count)
      }
    case .entriesNotAddresses:
      .answer { _ in .text(Self.goodList + "not-an-address\n999.1.2.3\n") }
    case .everyAddress: .answer { _ in .text(Self.goodList + "0.0.0.0/0\n") }
    case .alibabaThrottled:
      .answer { _ in
        AlibabaFake.error(400, "Throttling.User", "Request was denied due to user flow control.")
      }
    case .alibabaThrottledWithRetryAfter:
      .answer { _ in
        AlibabaFake.error(
          503, "Throttling.User", "Request was denied due to user flow control.",
          headers: [("x-acs-retry-after", "150")])
      }
    case .alibabaMalformedAnswer:
      .answer { _ in .json(#"{"RequestId":"5E1D6AB1-0000","Vips":{"Vip":["10.0.0.0/24""#) }
    case .alibabaClockSkew:
      .answer { _ in
        AlibabaFake.error(
          400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
      }
    case .alibabaExpiredSTSToken:
      .answer { _ in
        AlibabaFake.error(
          400, "InvalidSecurityToken.Expired", "Specified SecurityToken is expired.")
      }
    case .metadataServiceDown: .stopServer(.metadata)
    }
  }

  /// What the good run answers.
  var goodAnswer: NamespaceHTTPServer.Handler {
    switch kind {
    case .url: { _ in .text(Self.goodList) }
    default: { request in AlibabaFake.vips(for: request, Self.goodIPv4 + TestLists.ipv6) }
    }
  }

  /// The guard that must refuse, for the rows where the source answers but the list is wrong.
  var expectedRefusal: String? {
    switch self {
    case .shrankNinetyPercent: "max_shrink_percent"
    case .grewHundredfold: "max_entries"
    default: nil
    }
  }

  var expectedExitCode: Int32 { expectedRefusal == nil ? 0 : 3 }

  /// Words the operator must find on stderr.
  var expectedMessages: [String] {
    let fallback = "using the last-known-good list of source fleet"
    switch self {
    case .http500: return [fallback, "500"]
    case .http503: return [fallback, "503"]
    case .connectionRefused: return [fallback, "refused"]
    case .timeoutMidBody: return [fallback, "no complete response within 2.0 seconds"]
    case .tlsSelfSigned: return [fallback, "CERTIFICATE_VERIFY_FAILED"]
    case .malformedJSON, .truncatedJSON: return [fallback, "not valid JSON"]
    case .emptyList: return [fallback, "returned no prefixes; refusing an empty list"]
    case .shrankNinetyPercent: return ["refused", "max_shrink_percent"]
    case .grewHundredfold: return ["refused", "max_entries"]
    case .hundredMegabyteBody: return [fallback, "response larger than 8388608 bytes"]
    case .entriesNotAddresses: return [fallback, "not-an-address"]
    case .everyAddress: return [fallback, "0.0.0.0/0"]
    case .alibabaThrottled, .alibabaThrottledWithRetryAfter: return [fallback, "Throttling.User"]
    case .alibabaMalformedAnswer: return [fallback, "not a JSON object"]
    case .alibabaClockSkew: return [fallback, "InvalidTimeStamp.Expired", "clock"]
    case .alibabaExpiredSTSToken: return [fallback, "InvalidSecurityToken.Expired"]
    case .metadataServiceDown: return [fallback, "unreachable"]
    }
  }

  var extraConfiguration: String {
    // Large enough for the good list, small enough that 100 times it is refused.
    self == .grewHundredfold ? "guards:\n  max_entries: 5000" : ""
  }

  /// The source `fleet`, pointed at the fake servers; short timeouts and retries so a faulty
  /// run takes seconds.
  func sourceYAML(api: String, metadata: String) -> String {
    // No removal grace period: a list that shrank must meet the shrink guard in the faulty
    // run itself (AdversarialGraceTests covers the grace period absorbing it).
    let http = """
          retain_removed: 0s
          connect_timeout: 1s
          timeout: 2s
          retry_max_attempts: 2
          retry_initial_delay: 50ms
          retry_max_delay: 200ms
      """
    let alibaba = """
          domains: [\(Self.domain)]
          endpoint: \(api)
      \(http)
      """
    switch kind {
    case .url:
      return """
          - name: fleet
            type: url
            url: \(api)/list.txt
        \(http)
        """
    case .alibabaInline:
      return """
          - name: fleet
            type: alibaba-cdn
            access_key_id: \(AlibabaFake.accessKeyID)
            access_key_secret: \(AlibabaFake.accessKeySecret)
        \(alibaba)
        """
    case .alibabaSTS:
      return """
          - name: fleet
            type: alibaba-cdn
            access_key_id: STS.\(AlibabaFake.accessKeyID)
            access_key_secret: \(AlibabaFake.accessKeySecret)
            security_token: \(AlibabaFake.securityToken)
        \(alibaba)
        """
    case .alibabaECSRole:
      return """
          - name: fleet
            type: alibaba-cdn
            use_environment: false
            use_cli_profile: false
            use_credentials_ini: false
            ecs_role_name: \(MetadataFake.role)
            metadata_endpoint: \(metadata)
        \(alibaba)
        """
    }
  }
}
