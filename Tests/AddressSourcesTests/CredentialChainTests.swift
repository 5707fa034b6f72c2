import AddressSources
import Foundation
import Logging
import NIOHTTP1
import Testing

@Suite(.timeLimit(.minutes(1))) struct CredentialChainTests {
  /// A chain with an injected home directory and environment; the metadata service is off
  /// unless `metadata` is given.
  func chain(
    _ config: AlibabaCredentialsConfig = AlibabaCredentialsConfig(),
    home: String = "/nonexistent-home",
    variables: [String: String] = [:], metadata: String? = nil, clock: TestClock = TestClock()
  ) -> AlibabaCredentialChain {
    var config = config
    if let metadata { config.metadataEndpoint = metadata } else { config.useECSRAMRole = false }
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    return AlibabaCredentialChain(
      config: config, environment: ProcessEnvironment(variables: variables, homeDirectory: home),
      clock: clock,
      logger: logger)
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

  static let environment = [
    "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI5tEnvironmentId",
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "env-secret",
  ]

  // MARK: - 1. Configuration

  @Test func inlineCredentialsWinOverEverythingElse() async throws {
    let inline = AlibabaCredentials(
      accessKeyID: "LTAI5tInlineKeyId", accessKeySecret: "inline-secret")
    let credentials = try await chain(
      AlibabaCredentialsConfig(inline: inline), variables: Self.environment
    )
    .credentials()
    #expect(credentials.accessKeyID == "LTAI5tInlineKeyId")
    #expect(AlibabaCredentialsConfig(inline: inline).containsInlineSecret)
    #expect(!AlibabaCredentialsConfig(file: "/etc/origin-guard/alibaba.ini").containsInlineSecret)
    #expect(
      SourceConfig.alibabaCDN(
        AlibabaCDNSourceConfig(
          name: "cdn", domains: ["a"], credentials: AlibabaCredentialsConfig(inline: inline))
      ).containsInlineSecret)
    #expect(!SourceConfig.static(StaticSourceConfig(name: "s", prefixes: [])).containsInlineSecret)
  }

  @Test(arguments: [
    ("access_key_id = LTAI5tFileKeyId\naccess_key_secret = file-secret\n", nil as String?),
    (
      "# origin-guard\n[default]\ntype = access_key\naccess_key_id = LTAI5tFileKeyId  # key\naccess_key_secret = file-secret\n",
      nil
    ),
    (
      "[default]\naccess_key_id = other\naccess_key_secret = other\n[cdn]\naccess_key_id = LTAI5tFileKeyId\naccess_key_secret = file-secret\nsecurity_token = tok\n",
      "cdn"
    ),
  ])
  func credentialsFile(contents: String, profile: String?) async throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    let path = try directory.write("alibaba.ini", contents)
    let credentials = try await chain(
      AlibabaCredentialsConfig(file: path, fileProfile: profile), variables: Self.environment
    )
    .credentials()
    #expect(credentials.accessKeyID == "LTAI5tFileKeyId")
    #expect(credentials.accessKeySecret == "file-secret")
    #expect(credentials.securityToken == (profile == nil ? nil : "tok"))
  }

  @Test func credentialsFileProblemsStopTheChainWithoutLeakingTheFile() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    let missing = await failure(
      chain(
        AlibabaCredentialsConfig(file: directory.path + "/none.ini"), variables: Self.environment))
    guard case .unreadableFile("configuration", _, _) = missing else {
      Issue.record("unexpected \(String(describing: missing))")
      return
    }
    let path = try directory.write("half.ini", "access_key_secret = do-not-print-me\n")
    let half = await failure(chain(AlibabaCredentialsConfig(file: path)))
    guard case .malformedFile = half else {
      Issue.record("unexpected \(String(describing: half))")
      return
    }
    #expect(half?.description.contains("do-not-print-me") == false)
    let rolePath = try directory.write(
      "role.ini", "type = ram_role_arn\nrole_arn = acs:ram::1:role/x\n")
    guard
      case .unsupportedMode(_, "ram_role_arn") = await failure(
        chain(AlibabaCredentialsConfig(file: rolePath)))
    else {
      Issue.record("expected unsupportedMode")
      return
    }
  }

  @Test func credentialsFileWithoutTheConfiguredProfile() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    let path = try directory.write(
      "alibaba.ini", "[default]\naccess_key_id = a\naccess_key_secret = b\n")
    let error = await failure(chain(AlibabaCredentialsConfig(file: path, fileProfile: "cdn")))
    guard case .profileNotFound("configuration", path, "cdn") = error else {
      Issue.record("unexpected \(String(describing: error))")
      return
    }
  }

  // MARK: - 2. Environment

  @Test func environmentWithAndWithoutToken() async throws {
    let plain = try await chain(variables: Self.environment).credentials()
    #expect(plain.accessKeyID == "LTAI5tEnvironmentId")
    #expect(plain.securityToken == nil)
    #expect(plain.origin == "environment")
    let sts = try await chain(
      variables: Self.environment.merging(["ALIBABA_CLOUD_SECURITY_TOKEN": "env-token"]) { $1 }
    ).credentials()
    #expect(sts.securityToken == "env-token")
  }

  @Test(arguments: ["ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET"])
  func halfConfiguredEnvironmentIsAnError(present: String) async {
    let error = await failure(chain(variables: [present: "value"]))
    guard case .incomplete("environment", _) = error else {
      Issue.record("unexpected \(String(describing: error))")
      return
    }
  }

  @Test func switchedOffStepsAreSkippedAndListed() async {
    let error = await failure(
      chain(AlibabaCredentialsConfig(useEnvironment: false), variables: Self.environment))
    guard case .notFound(let tried) = error else {
      Issue.record("unexpected \(String(describing: error))")
      return
    }
    #expect(tried.contains("switched off (use_environment: false)"))
    #expect(tried.contains("switched off (use_ecs_ram_role: false)"))
    #expect(tried.contains { $0.contains(".aliyun/config.json") })
    #expect(tried.contains { $0.contains(".alibabacloud/credentials") })
  }

  // MARK: - 3. aliyun CLI profile

  static let cliConfig = """
    {"current":"default","profiles":[
      {"name":"default","mode":"AK","access_key_id":"LTAI5tCLIDefault","access_key_secret":"cli-secret","region_id":"cn-hangzhou"},
      {"name":"sts","mode":"StsToken","access_key_id":"STS.CLIKey","access_key_secret":"cli-sts-secret","sts_token":"cli-token"},
      {"name":"ecs","mode":"EcsRamRole","ram_role_name":"OriginGuardRole"},
      {"name":"assume","mode":"RamRoleArn","access_key_id":"a","access_key_secret":"b","ram_role_arn":"acs:ram::1:role/x"}
    ]}
    """

  func cliHome(_ contents: String = cliConfig) throws -> TemporaryDirectory {
    let home = try TemporaryDirectory()
    try home.write(".aliyun/config.json", contents)
    return home
  }

  @Test func cliProfileFromCurrentEnvironmentAndConfiguration() async throws {
    let home = try cliHome()
    defer { home.cleanup() }
    #expect(try await chain(home: home.path).credentials().accessKeyID == "LTAI5tCLIDefault")
    let sts = try await chain(home: home.path, variables: ["ALIBABA_CLOUD_PROFILE": "sts"])
      .credentials()
    #expect(sts.accessKeyID == "STS.CLIKey")
    #expect(sts.securityToken == "cli-token")
    let configured = try await chain(
      AlibabaCredentialsConfig(cliProfile: "sts"), home: home.path,
      variables: ["ALIBABA_CLOUD_PROFILE": "default"]
    ).credentials()
    #expect(configured.accessKeyID == "STS.CLIKey")
  }

  @Test func cliProfileInEcsRamRoleModeAsksTheMetadataService() async throws {
    let home = try cliHome()
    defer { home.cleanup() }
    let metadata = FakeMetadataService()
    let credentials = try await withTestServer(metadata.handle) { base, log in
      let credentials = try await chain(
        home: home.path, variables: ["ALIBABA_CLOUD_PROFILE": "ecs"], metadata: base
      )
      .credentials()
      #expect(
        log.requests.map(\.path) == [
          "/latest/api/token", "/latest/meta-data/ram/security-credentials/OriginGuardRole",
        ])
      return credentials
    }
    #expect(credentials.accessKeyID == "STS.ECSRoleKey1")
    #expect(credentials.origin.contains("ECS RAM role OriginGuardRole"))
  }

  @Test func cliProblems() async throws {
    let home = try cliHome()
    defer { home.cleanup() }
    guard
      case .unsupportedMode(_, "RamRoleArn") = await failure(
        chain(home: home.path, variables: ["ALIBABA_CLOUD_PROFILE": "assume"]))
    else {
      Issue.record("expected unsupportedMode")
      return
    }
    let broken = try cliHome("{not json")
    defer { broken.cleanup() }
    guard case .malformedFile = await failure(chain(home: broken.path)) else {
      Issue.record("expected malformedFile")
      return
    }
    // Switched off by the CLI's own variable: falls through to the next step.
    let next = try await chain(
      home: broken.path,
      variables: Self.environment.merging(["ALIBABA_CLOUD_CLI_PROFILE_DISABLED": "true"]) { $1 }
    ).credentials()
    #expect(next.origin == "environment")
  }

  @Test func missingCLIProfileFallsThroughToTheIniFile() async throws {
    let home = try cliHome()
    defer { home.cleanup() }
    try home.write(
      ".alibabacloud/credentials",
      "[cdn]\naccess_key_id = LTAI5tIniKey\naccess_key_secret = ini-secret\n")
    let credentials = try await chain(home: home.path, variables: ["ALIBABA_CLOUD_PROFILE": "cdn"])
      .credentials()
    #expect(credentials.accessKeyID == "LTAI5tIniKey")
  }

  // MARK: - 4. ini file

  @Test func iniFileLocations() async throws {
    let home = try TemporaryDirectory()
    defer { home.cleanup() }
    try home.write(
      ".alibabacloud/credentials",
      "[default]\naccess_key_id = LTAI5tGoNode\naccess_key_secret = s\n")
    #expect(try await chain(home: home.path).credentials().accessKeyID == "LTAI5tGoNode")
    // The Python SDK's credentials.ini is looked at first.
    try home.write(
      ".alibabacloud/credentials.ini",
      "[default]\ntype = access_key\naccess_key_id = LTAI5tPython\naccess_key_secret = s\n")
    #expect(try await chain(home: home.path).credentials().accessKeyID == "LTAI5tPython")
    let elsewhere = try home.write(
      "elsewhere.ini", "[prod]\naccess_key_id = LTAI5tNamed\naccess_key_secret = s\n")
    let named = try await chain(
      home: home.path,
      variables: ["ALIBABA_CLOUD_CREDENTIALS_FILE": elsewhere, "ALIBABA_CLOUD_PROFILE": "prod"]
    ).credentials()
    #expect(named.accessKeyID == "LTAI5tNamed")
  }

  @Test func namedIniFileMustExist() async {
    let error = await failure(
      chain(variables: ["ALIBABA_CLOUD_CREDENTIALS_FILE": "/nonexistent/credentials"]))
    guard case .unreadableFile("credentials file", "/nonexistent/credentials", _) = error else {
      Issue.record("unexpected \(String(describing: error))")
      return
    }
  }

  @Test func iniFileEcsRamRole() async throws {
    let home = try TemporaryDirectory()
    defer { home.cleanup() }
    try home.write(
      ".alibabacloud/credentials.ini",
      "[default]\ntype = ecs_ram_role\nrole_name = OriginGuardRole\n")
    let metadata = FakeMetadataService()
    let credentials = try await withTestServer(metadata.handle) { base, _ in
      try await chain(home: home.path, metadata: base).credentials()
    }
    #expect(credentials.securityToken == "CAIS-ecs-token-1")
  }

  // MARK: - 5. ECS RAM role

  @Test func ecsRoleThroughIMDSv2() async throws {
    let metadata = FakeMetadataService()
    let (credentials, requests) = try await withTestServer(metadata.handle) { base, log in
      (try await chain(metadata: base).credentials(), log.requests)
    }
    #expect(credentials.accessKeyID == "STS.ECSRoleKey1")
    #expect(credentials.accessKeySecret == "ecs-secret-1")
    #expect(credentials.expiration == Date(timeIntervalSince1970: 1_790_000_000 + 3600))
    #expect(requests.map(\.method) == [.PUT, .GET, .GET])
    #expect(
      requests.dropFirst().allSatisfy {
        $0.header("X-aliyun-ecs-metadata-token") == FakeMetadataService.token
      })
  }

  @Test func ecsRoleNameFromConfigurationOrEnvironmentSkipsTheListing() async throws {
    let metadata = FakeMetadataService()
    let requests = try await withTestServer(metadata.handle) { base, log in
      _ = try await chain(AlibabaCredentialsConfig(ecsRoleName: "OriginGuardRole"), metadata: base)
        .credentials()
      _ = try await chain(
        variables: ["ALIBABA_CLOUD_ECS_METADATA": "OriginGuardRole"], metadata: base
      ).credentials()
      return log.requests
    }
    #expect(!requests.contains { $0.path == "/latest/meta-data/ram/security-credentials/" })
  }

  @Test func imdsV1FallbackUnlessDisabled() async throws {
    let metadata = FakeMetadataService()
    metadata.update { $0.tokenStatus = .forbidden }
    try await withTestServer(metadata.handle) { base, _ async throws -> Void in
      #expect(try await chain(metadata: base).credentials().accessKeyID == "STS.ECSRoleKey1")
      let error = await failure(
        chain(variables: ["ALIBABA_CLOUD_IMDSV1_DISABLED": "true"], metadata: base))
      guard case .metadataService = error else {
        Issue.record("unexpected \(String(describing: error))")
        return
      }
    }
  }

  @Test func noRoleOrNoMetadataServiceMeansNotFound() async throws {
    let metadata = FakeMetadataService()
    metadata.update { $0.role = nil }
    let noRole = try await withTestServer(metadata.handle) { base, _ in
      await failure(chain(metadata: base))
    }
    guard case .notFound(let tried) = noRole else {
      Issue.record("unexpected \(String(describing: noRole))")
      return
    }
    // The ECS step, then the credentials URI, the last step of the chain.
    #expect(
      tried.suffix(2) == [
        "ECS RAM role: no RAM role attached to this instance",
        "credentials URI: ALIBABA_CLOUD_CREDENTIALS_URI not set",
      ])
    try await withRefusingPort { closed in
      guard case .notFound(let unreachable) = await failure(chain(metadata: closed)) else {
        Issue.record("expected notFound")
        return
      }
      #expect(unreachable.dropLast().last?.contains("unreachable") == true)
      guard
        case .notFound = await failure(
          chain(variables: ["ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true"], metadata: closed))
      else {
        Issue.record("expected notFound")
        return
      }
    }
  }

  @Test func ecsCredentialsWithAFailureCodeAreAnError() async throws {
    let metadata = FakeMetadataService()
    metadata.update { $0.credentialsCode = "Failed" }
    let error = try await withTestServer(metadata.handle) { base, _ in
      await failure(chain(metadata: base))
    }
    guard case .metadataService(_, let problem, _) = error else {
      Issue.record("unexpected \(String(describing: error))")
      return
    }
    #expect(problem.contains("Failed"))
  }

  // MARK: - Refresh

  @Test func temporaryCredentialsAreRefreshedFifteenMinutesBeforeExpiry() async throws {
    let metadata = FakeMetadataService()
    let clock = TestClock()
    try await withTestServer(metadata.handle) { base, _ async throws -> Void in
      let chain = chain(metadata: base, clock: clock)
      #expect(try await chain.credentials().accessKeySecret == "ecs-secret-1")
      clock.advance(by: 30 * 60)
      #expect(try await chain.credentials().accessKeySecret == "ecs-secret-1")
      #expect(metadata.credentialCalls == 1)
      // 46 minutes in: within 15 minutes of the expiration, so refreshed.
      metadata.update { $0.expiration += 3600 }
      clock.advance(by: 16 * 60)
      #expect(try await chain.credentials().accessKeySecret == "ecs-secret-2")
      #expect(metadata.credentialCalls == 2)
      // Now valid until 2 h after the start. At 1 h 46 min the refresh is due but fails while
      // the current ones are still valid: keep using them.
      metadata.update { $0.failCredentials = true }
      clock.advance(by: 60 * 60)
      #expect(try await chain.credentials().accessKeySecret == "ecs-secret-2")
      #expect(metadata.credentialCalls == 3)
      // Past the expiration there is nothing left to use.
      clock.advance(by: 15 * 60)
      guard case .metadataService = await failure(chain) else {
        Issue.record("expected metadataService")
        return
      }
    }
  }

  // MARK: - Secrets stay secret

  @Test func credentialsNeverPrintTheirSecrets() {
    let credentials = AlibabaCredentials(
      accessKeyID: "LTAI5tAbCdEfGhIjKl", accessKeySecret: "SuperSecretValue42",
      securityToken: "CAISTokenValue99",
      expiration: Date(timeIntervalSince1970: 1_790_000_000))
    var dumped = ""
    dump(credentials, to: &dumped)
    let config = AlibabaCredentialsConfig(inline: credentials)
    var dumpedConfig = ""
    dump(config, to: &dumpedConfig)
    for text in [
      credentials.description, credentials.debugDescription, String(reflecting: credentials),
      "\(credentials)", dumped,
      String(describing: config), dumpedConfig, String(reflecting: [credentials]),
    ] {
      #expect(!text.contains("SuperSecretValue42"), "\(text)")
      #expect(!text.contains("CAISTokenValue99"), "\(text)")
      #expect(!text.contains("LTAI5tAbCdEfGhIjKl"), "\(text)")
    }
    #expect(credentials.description.contains("LTAI****IjKl"))
  }
}

@Suite struct MetadataEndpointTests {
  @Test(arguments: [
    "http://169.254.169.254", "https://100.100.100.200", "http://100.100.100.200/latest",
  ])
  func onlyTheLinkLocalAddressOrLoopback(endpoint: String) async {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    let chain = AlibabaCredentialChain(
      config: AlibabaCredentialsConfig(
        useEnvironment: false, useCLIProfile: false, useCredentialsINI: false,
        metadataEndpoint: endpoint),
      environment: ProcessEnvironment(variables: [:], homeDirectory: "/nonexistent"),
      clock: TestClock(), logger: logger)
    do {
      _ = try await chain.credentials()
      Issue.record("expected an error")
    } catch {
      guard case .incomplete("ECS RAM role", let problem) = error else {
        Issue.record("unexpected \(error)")
        return
      }
      #expect(problem.contains("metadata_endpoint"))
    }
  }
}
