import AddressSources
import Foundation
import Logging
import NIOHTTP1
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// RAM role ARN, OIDC (RRSA) and the credentials URI, against a strict fake STS on loopback.
@Suite(.timeLimit(.minutes(1))) struct CredentialSTSTests {
  static let role = "acs:ram::1234567890:role/origin-guard-reader"
  static let oidcProvider = "acs:ram::1234567890:oidc-provider/ack-rrsa-c0ffee"
  static let sourceKey = AlibabaCredentials(
    accessKeyID: "LTAI5tSourceKeyId", accessKeySecret: "source-secret-do-not-print")
  static let token = "eyJhbGciOiJSUzI1NiJ9.rrsa-token-do-not-print.c2ln"

  /// A chain with only what the test gives it: no environment, CLI, ini or metadata service.
  func chain(
    _ config: AlibabaCredentialsConfig, sts: String, variables: [String: String] = [:],
    clock: TestClock
  ) -> AlibabaCredentialChain {
    var config = config
    config.stsEndpoint = config.stsEndpoint ?? sts
    config.useCLIProfile = false
    config.useCredentialsINI = false
    config.useECSRAMRole = false
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    return AlibabaCredentialChain(
      config: config,
      environment: ProcessEnvironment(variables: variables, homeDirectory: "/nonexistent-home"),
      clock: clock, logger: logger)
  }

  func failure(_ chain: AlibabaCredentialChain) async -> CredentialError? {
    do {
      let credentials = try await chain.credentials()
      Issue.record("expected an error, got \(credentials)")
      return nil
    } catch {
      return error
    }
  }

  func fakeSTS(clock: TestClock, maxSessionDuration: Int = 3600, externalID: String? = nil)
    -> FakeSTS
  {
    let sts = FakeSTS(now: { clock.now() })
    sts.update {
      $0.roles[Self.role] = FakeSTS.Role(
        maxSessionDuration: maxSessionDuration, externalID: externalID,
        trusted: [Self.sourceKey.accessKeyID], oidcProvider: Self.oidcProvider)
      $0.secrets[Self.sourceKey.accessKeyID] = Self.sourceKey.accessKeySecret
      $0.validToken = Self.token
    }
    return sts
  }

  static func roleConfig(
    externalID: String? = nil, policy: String? = nil, duration: Int = 3600
  ) -> AlibabaCredentialsConfig {
    AlibabaCredentialsConfig(
      inline: sourceKey, useEnvironment: false, useOIDC: false, useCredentialsURI: false,
      assumedRole: AssumedRole(arn: role, externalID: externalID, policy: policy),
      stsDurationSeconds: duration)
  }

  // MARK: - RAM role ARN

  @Test func ramRoleARNAssumesTheRoleWithASignedCall() async throws {
    let clock = TestClock()
    let sts = fakeSTS(clock: clock, externalID: "cross-account-42")
    let policy =
      #"{"Version":"1","Statement":[{"Effect":"Allow","Action":"cdn:Describe*","Resource":"*"}]}"#
    let credentials = try await withTestServer(sts.handle) { base, _ in
      try await chain(
        Self.roleConfig(externalID: "cross-account-42", policy: policy), sts: base, clock: clock
      ).credentials()
    }
    #expect(credentials.accessKeyID == "STS.NUgYrLnoC37mZZCNnAbez1")
    #expect(credentials.securityToken == "CAIS-sts-token-1")
    #expect(credentials.expiration == clock.now().addingTimeInterval(3600))
    #expect(credentials.origin.contains(Self.role))
    let call = try #require(sts.calls.first)
    let form = FakeSTS.form(call.body)
    #expect(call.query["Action"] == "AssumeRole")
    #expect(form["ExternalId"] == "cross-account-42")
    #expect(form["Policy"] == policy)
    #expect(form["RoleSessionName"] == "origin-guard")
    #expect(form["DurationSeconds"] == "3600")
    #expect(!call.uri.contains("source-secret"))
  }

  @Test func ramRoleARNWithAnSTSSourceSendsItsSecurityToken() async throws {
    let clock = TestClock()
    let sts = fakeSTS(clock: clock)
    var config = Self.roleConfig()
    config.inline = AlibabaCredentials(
      accessKeyID: Self.sourceKey.accessKeyID, accessKeySecret: Self.sourceKey.accessKeySecret,
      securityToken: "CAIS-source-token")
    _ = try await withTestServer(sts.handle) { base, _ in
      try await chain(config, sts: base, clock: clock).credentials()
    }
    #expect(sts.calls.first?.query["SecurityToken"] == "CAIS-source-token")
  }

  @Test func aDurationAboveTheRolesMaximumIsAnErrorNamingTheRole() async throws {
    let clock = TestClock()
    let sts = fakeSTS(clock: clock, maxSessionDuration: 3600)
    let error = try await withTestServer(sts.handle) { base, _ in
      await failure(chain(Self.roleConfig(duration: 7200), sts: base, clock: clock))
    }
    guard case .sts(Self.role, _, let problem, let requestID, false)? = error else {
      Issue.record("unexpected \(String(describing: error))")
      return
    }
    #expect(problem.contains("InvalidParameter.DurationSeconds"))
    #expect(requestID == "E5D8A6F0-0000-4000-8000-0000000000A1")
  }

  @Test func accessDeniedNamesTheRoleSaysWhatToCheckAndIsNotRetried() async throws {
    let clock = TestClock()
    let sts = fakeSTS(clock: clock)
    sts.update { $0.roles[Self.role]?.trusted = [] }
    let error = try await withTestServer(sts.handle) { base, _ in
      await failure(chain(Self.roleConfig(), sts: base, clock: clock))
    }
    let description = try #require(error?.description)
    #expect(description.contains(Self.role))
    #expect(description.contains("NoPermission"))
    #expect(description.contains("trust policy"))
    #expect(error?.isRetryable == false)
    #expect(!description.contains("source-secret"))
  }

  /// The fake is as strict as STS: a wrong secret, or a clock 20 minutes off, is refused.
  @Test func theFakeRefusesABadSignatureAndAStaleTimestamp() async throws {
    let clock = TestClock()
    let sts = fakeSTS(clock: clock)
    var wrongSecret = Self.roleConfig()
    wrongSecret.inline = AlibabaCredentials(
      accessKeyID: Self.sourceKey.accessKeyID, accessKeySecret: "not-the-secret")
    let stale = TestClock(now: clock.now().addingTimeInterval(-20 * 60))
    let (signature, timestamp) = try await withTestServer(sts.handle) { base, _ in
      (
        await failure(chain(wrongSecret, sts: base, clock: clock)),
        await failure(chain(Self.roleConfig(), sts: base, clock: stale))
      )
    }
    #expect(signature?.description.contains("SignatureDoesNotMatch") == true)
    #expect(timestamp?.description.contains("InvalidTimeStamp.Expired") == true)
  }

  @Test func aWrongExternalIDIsRefused() async throws {
    let clock = TestClock()
    let sts = fakeSTS(clock: clock, externalID: "the-right-one")
    let error = try await withTestServer(sts.handle) { base, _ in
      await failure(chain(Self.roleConfig(externalID: "a-wrong-one"), sts: base, clock: clock))
    }
    #expect(error?.description.contains("AccessDenied.ExternalId") == true)
  }

  @Test func throttlingIsRetryable() async throws {
    let clock = TestClock()
    let sts = fakeSTS(clock: clock)
    sts.update {
      $0.scripted = [
        FakeSTS.error(
          .badRequest, "Throttling.User", "Request was denied due to user flow control.")
      ]
    }
    let (error, credentials) = try await withTestServer(sts.handle) { base, _ in
      let chain = chain(Self.roleConfig(), sts: base, clock: clock)
      return (await failure(chain), try await chain.credentials())
    }
    #expect(error?.isRetryable == true)
    #expect(credentials.securityToken == "CAIS-sts-token-1")
  }

  @Test func temporaryCredentialsAreCachedAndRefreshedBeforeTheyExpire() async throws {
    let clock = TestClock()
    let sts = fakeSTS(clock: clock)
    let tokens = try await withTestServer(sts.handle) { base, _ in
      let chain = chain(Self.roleConfig(), sts: base, clock: clock)
      var tokens: [String?] = []
      tokens.append(try await chain.credentials().securityToken)
      clock.advance(by: 40 * 60)
      tokens.append(try await chain.credentials().securityToken)
      clock.advance(by: 6 * 60)  // 14 minutes left: refresh
      tokens.append(try await chain.credentials().securityToken)
      return tokens
    }
    #expect(tokens == ["CAIS-sts-token-1", "CAIS-sts-token-1", "CAIS-sts-token-2"])
    #expect(sts.calls.count == 2)
  }

  @Test func theShortestSessionIsNotFetchedAgainForEveryCall() async throws {
    let clock = TestClock()
    let sts = fakeSTS(clock: clock)
    _ = try await withTestServer(sts.handle) { base, _ in
      let chain = chain(Self.roleConfig(duration: 900), sts: base, clock: clock)
      for _ in 0..<5 { _ = try await chain.credentials() }
      clock.advance(by: 8 * 60)
      _ = try await chain.credentials()
    }
    #expect(sts.calls.count == 2)
  }

  @Test func sourcesOfOneContextShareTheirCredentialsAcrossCycles() async throws {
    let clock = TestClock()
    let sts = fakeSTS(clock: clock)
    let api = FakeAlibabaAPI(secrets: [:])
    api.script("www.example.com", FakeAlibabaAPI.vips("www.example.com", ["192.0.2.1"]))
    let context = makeContext(clock: clock)
    try await withTestServer({ request in
      if FakeSTS.isSTS(request) { return await sts.handle(request) }
      // Every key STS issued is valid at the API, with its token.
      let issued = sts.calls.count
      api.allow(
        (1...max(1, issued)).map {
          ("STS.NUgYrLnoC37mZZCNnAbez\($0)", "sts-secret-\($0)", "CAIS-sts-token-\($0)")
        })
      return await api.handle(request)
    }) { base, _ in
      var config = Self.roleConfig()
      config.stsEndpoint = base
      for _ in 0..<3 {
        let source = AlibabaCDNSource(
          config: AlibabaCDNSourceConfig(
            name: "cdn", domains: ["www.example.com"], endpoint: base, credentials: config,
            retry: .fast),
          context: context)
        _ = try await source.fetch()
      }
    }
    #expect(sts.calls.count == 1)
    #expect(api.callCount("www.example.com") == 3)
  }

  /// A throttled STS is retried by the source's retry policy, like a throttled API.
  @Test func aSourceRetriesAThrottledSTS() async throws {
    let clock = TestClock()
    let sts = fakeSTS(clock: clock)
    sts.update {
      $0.scripted = [
        FakeSTS.error(
          .serviceUnavailable, "ServiceUnavailable",
          "The request has failed due to a temporary failure of the server.")
      ]
    }
    let api = FakeAlibabaAPI(secrets: [:])
    api.allow([("STS.NUgYrLnoC37mZZCNnAbez1", "sts-secret-1", "CAIS-sts-token-1")])
    api.script("www.example.com", FakeAlibabaAPI.vips("www.example.com", ["192.0.2.1"]))
    let result = try await withTestServer({ request in
      FakeSTS.isSTS(request) ? await sts.handle(request) : await api.handle(request)
    }) { base, _ in
      var config = Self.roleConfig()
      config.stsEndpoint = base
      return try await AlibabaCDNSource(
        config: AlibabaCDNSourceConfig(
          name: "cdn", domains: ["www.example.com"], endpoint: base, credentials: config,
          retry: .fast),
        context: makeContext(clock: clock)
      ).fetch()
    }
    #expect(result.entries.count == 1)
    #expect(sts.calls.count == 2)
  }

  @Test(arguments: [
    ("not json at all", "not a JSON object"),
    (#"{"RequestId":"1","Credentials":{"AccessKeyId":"STS.x"}}"#, "lacks Credentials"),
    (
      #"{"RequestId":"1","Credentials":{"AccessKeyId":"STS.x","AccessKeySecret":"s","SecurityToken":"t","Expiration":"2020-01-01T00:00:00Z"}}"#,
      "not in the future"
    ),
    (
      #"{"RequestId":"1","Credentials":{"AccessKeyId":"STS.x","AccessKeySecret":"s","SecurityToken":"t","Expiration":"soon"}}"#,
      "valid Expiration"
    ),
  ])
  func aMalformedAnswerIsAnErrorNamingTheRole(body: String, expected: String) async throws {
    let clock = TestClock()
    let error = try await withTestServer({ _ in .json(body) }) { base, _ in
      await failure(chain(Self.roleConfig(), sts: base, clock: clock))
    }
    let description = try #require(error?.description)
    #expect(description.contains(expected), "\(description)")
    #expect(description.contains(Self.role))
  }

  @Test func aHugeAnswerIsCutOff() async throws {
    let clock = TestClock()
    let error = try await withTestServer({ _ in
      .stream(status: .ok, chunk: Array(repeating: UInt8(ascii: "a"), count: 64 << 10), count: 200)
    }) { base, _ in await failure(chain(Self.roleConfig(), sts: base, clock: clock)) }
    #expect(error?.description.contains("too large") == true, "\(String(describing: error))")
  }

  @Test func anSTSMessageEchoingWhatWeSentIsRedacted() async throws {
    let clock = TestClock()
    let error = try await withTestServer({ _ in
      FakeSTS.error(.badRequest, "InvalidParameter", "bad value source-secret-do-not-print")
    }) { base, _ in await failure(chain(Self.roleConfig(), sts: base, clock: clock)) }
    #expect(error?.description.contains("source-secret") == false)
    #expect(error?.description.contains("<redacted>") == true)
  }

  @Test func plainHTTPToAnotherHostIsRefusedBeforeAnyRequest() async throws {
    let error = await failure(
      chain(Self.roleConfig(), sts: "http://192.0.2.10", clock: TestClock()))
    #expect(error?.description.contains("plain http only to 127.0.0.1") == true)
  }

  @Test(arguments: [
    ([:], "https://sts.aliyuncs.com"),
    (["ALIBABA_CLOUD_STS_REGION": "cn-shanghai"], "https://sts.cn-shanghai.aliyuncs.com"),
    (
      ["ALIBABA_CLOUD_STS_REGION": "cn-shanghai", "ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED": "true"],
      "https://sts-vpc.cn-shanghai.aliyuncs.com"
    ),
  ])
  func stsEndpointFollowsTheEnvironmentLikeAlibabasLibraries(
    variables: [String: String], expected: String
  ) {
    #expect(
      STSEndpoint.resolve(
        configured: nil,
        environment: ProcessEnvironment(variables: variables, homeDirectory: "/")) == expected)
  }

  // MARK: - OIDC (RRSA)

  func oidcVariables(_ file: String) -> [String: String] {
    [
      "ALIBABA_CLOUD_ROLE_ARN": Self.role, "ALIBABA_CLOUD_OIDC_PROVIDER_ARN": Self.oidcProvider,
      "ALIBABA_CLOUD_OIDC_TOKEN_FILE": file,
    ]
  }

  static let oidcOnly = AlibabaCredentialsConfig(useEnvironment: false, useCredentialsURI: false)

  @Test func oidcExchangesTheTokenAndReadsItAgainOnRefresh() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    let file = try directory.write("token", Self.token + "\n")
    let clock = TestClock()
    let sts = fakeSTS(clock: clock)
    let tokens = try await withTestServer(sts.handle) { base, _ in
      let chain = chain(Self.oidcOnly, sts: base, variables: oidcVariables(file), clock: clock)
      let first = try await chain.credentials()
      // The kubelet rotates the token; the old one is no longer accepted.
      try "rotated-token-value".write(toFile: file, atomically: true, encoding: .utf8)
      sts.update { $0.validToken = "rotated-token-value" }
      clock.advance(by: 50 * 60)
      let second = try await chain.credentials()
      return [first.securityToken, second.securityToken]
    }
    #expect(tokens == ["CAIS-sts-token-1", "CAIS-sts-token-2"])
    let forms = sts.calls.map { FakeSTS.form($0.body) }
    #expect(forms.map { $0["OIDCToken"] } == [Self.token, "rotated-token-value"])
    #expect(sts.calls.allSatisfy { $0.query["Action"] == "AssumeRoleWithOIDC" })
    #expect(sts.calls.allSatisfy { !$0.uri.contains("token-do-not-print") })
  }

  @Test func oidcComesAfterTheEnvironmentAndBeforeTheCLIProfile() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    let file = try directory.write("token", Self.token)
    let clock = TestClock()
    let sts = fakeSTS(clock: clock)
    try await withTestServer(sts.handle) { base, _ in
      var variables = oidcVariables(file)
      variables["ALIBABA_CLOUD_ACCESS_KEY_ID"] = "LTAI5tEnvironmentId"
      variables["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] = "env-secret"
      let fromEnvironment = try await chain(
        AlibabaCredentialsConfig(), sts: base, variables: variables, clock: clock
      ).credentials()
      #expect(fromEnvironment.origin == "environment")
      // A CLI profile is there too: OIDC still wins.
      try directory.write(
        "home/.aliyun/config.json",
        #"{"current":"default","profiles":[{"name":"default","mode":"AK","access_key_id":"LTAI5tCLIKeyId","access_key_secret":"cli"}]}"#
      )
      var config = AlibabaCredentialsConfig(useEnvironment: false, useCredentialsURI: false)
      config.stsEndpoint = base
      config.useCredentialsINI = false
      config.useECSRAMRole = false
      let fromOIDC = try await AlibabaCredentialChain(
        config: config,
        environment: ProcessEnvironment(
          variables: oidcVariables(file), homeDirectory: directory.path + "/home"),
        clock: clock, logger: Logger(label: "test")
      ).credentials()
      #expect(fromOIDC.origin == "OIDC (RRSA) \(Self.role)")
    }
  }

  @Test func halfAnRRSAConfigurationStopsTheChain() async throws {
    var variables = oidcVariables("/nonexistent")
    variables["ALIBABA_CLOUD_OIDC_PROVIDER_ARN"] = nil
    let error = await failure(
      chain(
        Self.oidcOnly, sts: "https://sts.aliyuncs.com", variables: variables, clock: TestClock()))
    guard case .incomplete("OIDC (RRSA)", let problem)? = error else {
      Issue.record("unexpected \(String(describing: error))")
      return
    }
    #expect(problem.contains("ALIBABA_CLOUD_OIDC_PROVIDER_ARN"))
  }

  /// What the token file may be: how Kubernetes projects it (a link to a file only root can
  /// write) works; a missing, world-writable, empty or special file is an error naming the
  /// role and the path, and nothing is sent to STS.
  @Test func tokenFileChecks() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    let good = try directory.write("..2026_12_01/token", Self.token)
    try FileManager.default.createSymbolicLink(
      atPath: directory.path + "/token", withDestinationPath: good)
    let writable = try directory.write("writable", Self.token)
    chmod(writable, 0o666)
    try FileManager.default.createSymbolicLink(
      atPath: directory.path + "/link-to-writable", withDestinationPath: writable)
    let empty = try directory.write("empty", "\n")
    let huge = try directory.write("huge", String(repeating: "a", count: 30_000))
    let fifo = directory.path + "/fifo"
    #expect(mkfifo(fifo, 0o600) == 0)

    let clock = TestClock()
    let sts = fakeSTS(clock: clock)
    try await withTestServer(sts.handle) { base, _ in
      let linked = try await chain(
        Self.oidcOnly, sts: base, variables: oidcVariables(directory.path + "/token"), clock: clock
      ).credentials()
      #expect(linked.securityToken == "CAIS-sts-token-1")
      for (path, expected) in [
        (directory.path + "/missing", "does not exist"),
        (writable, "writable by group or others"),
        (directory.path + "/link-to-writable", "writable by group or others"),
        (empty, "empty"),
        (huge, "more than a token"),
        (fifo, "not a regular file"),
        (directory.path, "not a regular file"),
      ] {
        let error = await failure(
          chain(Self.oidcOnly, sts: base, variables: oidcVariables(path), clock: clock))
        guard case .oidcTokenFile(Self.role, path, let problem)? = error else {
          Issue.record("\(path): unexpected \(String(describing: error))")
          continue
        }
        #expect(problem.contains(expected), "\(path): \(problem)")
      }
    }
    #expect(sts.calls.count == 1)
  }

  @Test func anExpiredOIDCTokenIsAnErrorNamingTheRole() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    let file = try directory.write("token", "an-expired-token")
    let clock = TestClock()
    let sts = fakeSTS(clock: clock)
    let error = try await withTestServer(sts.handle) { base, _ in
      await failure(chain(Self.oidcOnly, sts: base, variables: oidcVariables(file), clock: clock))
    }
    let description = try #require(error?.description)
    #expect(description.contains("AuthenticationFail.OIDCToken.Expired"))
    #expect(description.contains(Self.role))
    #expect(description.contains(file))
    #expect(!description.contains("an-expired-token"))
  }

  // MARK: - Credentials URI

  static let uriOnly = AlibabaCredentialsConfig(useEnvironment: false, useOIDC: false)

  @Test func credentialsURIOnLoopback() async throws {
    let clock = TestClock()
    let expiration = clock.now().addingTimeInterval(3600).formatted(.iso8601)
    let credentials = try await withTestServer({ _ in
      .json(
        #"{"Code":"Success","AccessKeyId":"STS.URIKey","AccessKeySecret":"uri-secret","SecurityToken":"CAIS-uri","Expiration":"\#(expiration)"}"#
      )
    }) { base, _ in
      try await chain(
        Self.uriOnly, sts: base,
        variables: ["ALIBABA_CLOUD_CREDENTIALS_URI": base + "/credentials?token=do-not-print"],
        clock: clock
      ).credentials()
    }
    #expect(credentials.securityToken == "CAIS-uri")
    #expect(!credentials.origin.contains("do-not-print"))
  }

  @Test func credentialsURIOverPlainHTTPToAnotherHostIsRefused() async throws {
    let error = await failure(
      chain(
        Self.uriOnly, sts: "https://sts.aliyuncs.com",
        variables: [
          "ALIBABA_CLOUD_CREDENTIALS_URI": "http://192.0.2.7:8080/creds?key=do-not-print"
        ],
        clock: TestClock()))
    guard case .credentialsURI("http://192.0.2.7:8080/creds?…", let problem, false)? = error else {
      Issue.record("unexpected \(String(describing: error))")
      return
    }
    #expect(problem.contains("plain HTTP"))
  }

  @Test func credentialsThatAreAlreadyExpiredAreRefused() async throws {
    let clock = TestClock()
    let error = try await withTestServer({ _ in
      .json(
        #"{"Code":"Success","AccessKeyId":"STS.URIKey","AccessKeySecret":"uri-secret","SecurityToken":"CAIS-uri","Expiration":"2020-01-01T00:00:00Z"}"#
      )
    }) { base, _ in
      await failure(
        chain(
          Self.uriOnly, sts: base, variables: ["ALIBABA_CLOUD_CREDENTIALS_URI": base + "/c"],
          clock: clock))
    }
    #expect(error?.description.contains("expired") == true, "\(String(describing: error))")
  }
}
