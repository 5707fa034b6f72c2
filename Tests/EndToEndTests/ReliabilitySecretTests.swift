import Foundation
import TestSupport
import Testing

/// Alibaba Cloud credentials, however they are given, never show up in what origin-guard
/// prints or writes, even at `--log-level trace`; the files it creates are private; the
/// configuration refuses what would leak them (a world-readable inline secret, plain HTTP
/// beyond loopback) and has no way to turn TLS verification off.
@Suite("Reliability: secrets", .enabled(if: KernelTests.enabled))
struct ReliabilitySecretTests {
  enum CredentialSource: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case credentialsFile
    case environment
    case inlineConfiguration
    case ecsRAMRole
    /// An AccessKey assumes a RAM role; the role's credentials sign the calls.
    case ramRoleARN
    /// RRSA: a service-account token exchanged with AssumeRoleWithOIDC.
    case oidc

    var testDescription: String { rawValue }

    /// The secret and the token the run is given (or fetches), which must never appear.
    var secrets: [String] {
      switch self {
      case .ecsRAMRole: [MetadataFake.accessKeySecret, MetadataFake.securityToken]
      case .ramRoleARN:
        [
          STSFake.accessKeySecret, STSFake.securityToken, AlibabaFake.accessKeySecret,
          STSFake.externalID,
        ]
      case .oidc: [STSFake.accessKeySecret, STSFake.securityToken, STSFake.oidcToken]
      default: [AlibabaFake.accessKeySecret, AlibabaFake.securityToken]
      }
    }
  }

  static let list = TestLists.ipv4(4) + TestLists.ipv6

  /// Every command, as an operator would run them, at trace level.
  static let commands: [[String]] = [
    ["validate"], ["plan"], ["plan", "--json"], ["sync", "--verbose"], ["sync"], ["status"],
    ["status", "--json"], ["check", "10.0.0.1"], ["check", "10.0.0.1", "--json"],
    ["export", "--format", "text"], ["export", "--format", "json"], ["export", "--format", "nft"],
    ["export", "--format", "nginx"], ["export", "--format", "json", "--fresh"],
    ["run", "--cycles", "2"], ["teardown"], ["bootstrap", "--yes"], ["confirm"],
  ]

  @Test(arguments: CredentialSource.allCases)
  func noSecretInAnyOutputOrFile(_ credentials: CredentialSource) async throws {
    try await GuardSandbox.with { sandbox in
      let api = try NamespaceHTTPServer(in: sandbox.namespace) { request in
        if STSFake.isSTS(request) { return STSFake.credentials() }
        // The fake insists on the token it expects, so the run really used these credentials.
        let token = request.header("x-acs-security-token")
        guard token == credentials.secrets[1] else {
          return AlibabaFake.error(400, "InvalidSecurityToken.Mismatch", "wrong token")
        }
        return AlibabaFake.vips(for: request, Self.list)
      }
      let metadata = try NamespaceHTTPServer(in: sandbox.namespace, handler: MetadataFake.answer)
      var keys = """
          - name: cdn
            type: alibaba-cdn
            domains: [www.example.com]
            endpoint: \(api.baseURL)
            use_cli_profile: false
            use_credentials_ini: false
        """
      var environment: [String: String] = [:]
      switch credentials {
      case .credentialsFile:
        let file = try sandbox.write(
          "alibaba.ini",
          """
          [default]
          access_key_id = STS.\(AlibabaFake.accessKeyID)
          access_key_secret = \(AlibabaFake.accessKeySecret)
          security_token = \(AlibabaFake.securityToken)
          """, mode: 0o600)
        keys +=
          "\n    credentials_file: \(file)\n    use_environment: false\n    use_ecs_ram_role: false"
      case .environment:
        environment = [
          "ALIBABA_CLOUD_ACCESS_KEY_ID": "STS." + AlibabaFake.accessKeyID,
          "ALIBABA_CLOUD_ACCESS_KEY_SECRET": AlibabaFake.accessKeySecret,
          "ALIBABA_CLOUD_SECURITY_TOKEN": AlibabaFake.securityToken,
        ]
        keys += "\n    use_ecs_ram_role: false"
      case .inlineConfiguration:
        keys += """

              access_key_id: STS.\(AlibabaFake.accessKeyID)
              access_key_secret: \(AlibabaFake.accessKeySecret)
              security_token: \(AlibabaFake.securityToken)
          """
      case .ecsRAMRole:
        keys += "\n    use_environment: false\n    metadata_endpoint: \(metadata.baseURL)"
      case .ramRoleARN:
        let file = try sandbox.write(
          "alibaba.ini",
          """
          [default]
          access_key_id = \(AlibabaFake.accessKeyID)
          access_key_secret = \(AlibabaFake.accessKeySecret)
          """, mode: 0o600)
        keys += """

              credentials_file: \(file)
              role_arn: \(STSFake.role)
              external_id: \(STSFake.externalID)
              sts_endpoint: \(api.baseURL)
          """
      case .oidc:
        let token = try sandbox.write("rrsa/token", STSFake.oidcToken, mode: 0o600)
        environment = [
          "ALIBABA_CLOUD_ROLE_ARN": STSFake.role,
          "ALIBABA_CLOUD_OIDC_PROVIDER_ARN": STSFake.oidcProvider,
          "ALIBABA_CLOUD_OIDC_TOKEN_FILE": token,
        ]
        keys += "\n    use_ecs_ram_role: false\n    sts_endpoint: \(api.baseURL)"
      }
      try sandbox.writeConfiguration(sources: keys, extra: "interval: 1s\njitter: 0s")

      var leaks: [String] = []
      for command in Self.commands {
        let result = try sandbox.originGuard(
          command + ["--log-level", "trace"], environment: environment)
        #expect(
          [0, 4].contains(result.status) || command == ["confirm"],
          "\(command): exit \(result.status): \(result.errorOutput)")
        for secret in credentials.secrets {
          if result.output.contains(secret) { leaks.append("\(command) stdout: \(secret)") }
          if result.errorOutput.contains(secret) { leaks.append("\(command) stderr: \(secret)") }
        }
      }
      // The calls were made, with the credentials under test.
      let signedWithToken = api.requests.contains { request in
        request.header("x-acs-security-token") == credentials.secrets[1]
      }
      #expect(signedWithToken)

      let files =
        try FileManager.default.subpathsOfDirectory(atPath: sandbox.stateDirectory).map {
          sandbox.stateDirectory + "/" + $0
        } + [sandbox.metricsPath]
      for file in files {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory),
          !isDirectory.boolValue
        else { continue }
        let contents = String(
          decoding: try Data(contentsOf: URL(fileURLWithPath: file)), as: UTF8.self)
        for secret in credentials.secrets where contents.contains(secret) {
          leaks.append("\(file): \(secret)")
        }
      }
      #expect(leaks.isEmpty, "secrets leaked: \(leaks)")
      try Self.expectPrivatePermissions(sandbox)
    }
  }

  /// The state directory and everything in it: owner only. The metrics file: readable by the
  /// collector, writable by nobody else, and (checked above) free of secrets.
  static func expectPrivatePermissions(_ sandbox: GuardSandbox) throws {
    func mode(_ path: String) throws -> Int {
      (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?
        .intValue ?? -1
    }
    #expect(try mode(sandbox.stateDirectory) == 0o700)
    for path in try FileManager.default.subpathsOfDirectory(atPath: sandbox.stateDirectory) {
      let full = sandbox.stateDirectory + "/" + path
      let bits = try mode(full)
      #expect(bits & 0o077 == 0, "\(full) is mode \(String(bits, radix: 8))")
    }
    #expect(try mode(sandbox.metricsPath) & 0o022 == 0)
  }

  // MARK: - Refused configurations

  @Test func inlineSecretInAFileOthersCanReadIsRefused() async throws {
    try await GuardSandbox.with { sandbox in
      try sandbox.writeConfiguration(
        sources: """
            - name: cdn
              type: alibaba-cdn
              domains: [www.example.com]
              endpoint: http://127.0.0.1:9
              access_key_id: \(AlibabaFake.accessKeyID)
              access_key_secret: \(AlibabaFake.accessKeySecret)
          """)
      // Modes that let others read it; one that lets them write it is refused before the
      // secret is looked at (ConfigurationFileModeTests).
      for mode in [0o644, 0o640, 0o604, 0o400 | 0o044] {
        try FileManager.default.setAttributes(
          [.posixPermissions: mode], ofItemAtPath: sandbox.configPath)
        for command in [["validate"], ["sync"], ["plan"], ["status"]] {
          let result = try sandbox.originGuard(command)
          #expect(result.status == 1, "\(command) with mode \(String(mode, radix: 8))")
          #expect(result.errorOutput.contains("chmod 600"), "\(result.errorOutput)")
          #expect(!result.errorOutput.contains(AlibabaFake.accessKeySecret))
        }
      }
      #expect(try sandbox.namespace.nft("list", "ruleset").output.isEmpty)
      #expect(!FileManager.default.fileExists(atPath: sandbox.stateDirectory))
    }
  }

  @Test(arguments: [
    "url: http://192.0.2.10/list.txt",
    "url: http://example.com/list.txt",
    "url: http://[2001:db8::1]/list.txt",
    "urls:\n        - url: http://10.0.0.1/a.txt",
  ])
  func plainHTTPBeyondLoopbackIsRefused(_ urlKey: String) async throws {
    try await GuardSandbox.with { sandbox in
      try sandbox.writeConfiguration(
        sources: """
            - name: lists
              type: url
              \(urlKey)
          """)
      for command in ["validate", "sync"] {
        let result = try sandbox.originGuard(command)
        #expect(result.status == 1, "\(command): \(result.errorOutput)")
        #expect(result.errorOutput.contains("http"), "\(result.errorOutput)")
      }
      #expect(try sandbox.namespace.nft("list", "ruleset").output.isEmpty)
    }
  }

  @Test func plainHTTPAlibabaEndpointsBeyondLoopbackAreRefused() async throws {
    try await GuardSandbox.with { sandbox in
      for extra in [
        "endpoint: http://cdn.aliyuncs.com", "metadata_endpoint: http://169.254.169.254",
        "metadata_endpoint: http://100.100.100.201",
      ] {
        try sandbox.writeConfiguration(
          sources: """
              - name: cdn
                type: alibaba-cdn
                domains: [www.example.com]
                \(extra)
            """)
        let result = try sandbox.originGuard("validate")
        #expect(result.status == 1, "\(extra) accepted: \(result.output)")
      }
    }
  }

  /// Whatever it might be called, a key that turns certificate checks off is unknown.
  @Test func thereIsNoWayToTurnTLSVerificationOff() async throws {
    try await GuardSandbox.with { sandbox in
      for key in [
        "tls_verify: false", "verify_tls: false", "insecure: true", "insecure_skip_verify: true",
        "tls_insecure: true", "ca_file: /dev/null", "certificate_verification: none",
        "skip_tls_verify: true",
      ] {
        try sandbox.writeConfiguration(
          sources: """
              - name: lists
                type: url
                url: https://127.0.0.1/list.txt
                \(key)
            """)
        let result = try sandbox.originGuard("validate")
        #expect(result.status == 1, "\(key) accepted")
        #expect(result.errorOutput.contains("unknown key"), "\(result.errorOutput)")
      }
    }
    // And the documented key catalog (README tables) has none either.
    let readme = try String(
      contentsOf: Self.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
    let keys = readme.split(separator: "\n").filter { $0.hasPrefix("| `") }.map {
      $0.split(separator: "`")[1].lowercased()
    }
    #expect(!keys.isEmpty)
    for key in keys {
      let tlsWord = ["insecure", "verify", "tls", "certificate", "ca_"].first { word in
        key.contains(word)
      }
      #expect(tlsWord == nil, "README documents a TLS key: \(key)")
    }
  }

  static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
}
