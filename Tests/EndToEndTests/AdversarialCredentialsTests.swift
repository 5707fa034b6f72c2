import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The shipped binary's RAM-role, OIDC and credentials-URI steps against a hostile STS and
/// hostile local files: garbage, huge and expired answers, a token file that is missing,
/// world-writable or a link to one, a credentials URI in clear text to another host. Each must
/// fail the source, name the role or the file, leave the kernel as it was (or fall back to the
/// last good list), and never print a secret.
@Suite("Adversarial: credentials", .enabled(if: KernelTests.enabled), .timeLimit(.minutes(2)))
struct AdversarialCredentialsTests {
  static let list = ["192.0.2.0/24", "198.51.100.0/24"]

  /// A role source: the AccessKey of the sandbox assumes STSFake.role at `server`.
  static func roleSource(_ server: NamespaceHTTPServer) -> String {
    """
        - name: cdn
          type: alibaba-cdn
          domains: [www.example.com]
          endpoint: \(server.baseURL)
          sts_endpoint: \(server.baseURL)
          access_key_id: \(AlibabaFake.accessKeyID)
          access_key_secret: \(AlibabaFake.accessKeySecret)
          role_arn: \(STSFake.role)
          external_id: \(STSFake.externalID)
          retry_max_attempts: 1
    """
  }

  static let secrets = [
    AlibabaFake.accessKeySecret, STSFake.accessKeySecret, STSFake.securityToken,
    STSFake.oidcToken, STSFake.externalID,
  ]

  func expectNoSecret(_ result: CommandResult, sourceLocation: SourceLocation = #_sourceLocation) {
    for secret in Self.secrets {
      #expect(
        !result.output.contains(secret) && !result.errorOutput.contains(secret),
        "\(secret) printed", sourceLocation: sourceLocation)
    }
  }

  @Test(arguments: [
    ("garbage", "the answer is not a JSON object"),
    ("expired", "not in the future"),
    ("huge", "too large"),
    ("denied", "NoPermission"),
  ])
  func aHostileSTSFailsTheSourceAndTheLastGoodListStays(kind: String, expected: String)
    async throws
  {
    try await GuardSandbox.with { sandbox in
      let server = try NamespaceHTTPServer(
        in: sandbox.namespace, handler: STSFake.withCDN(Self.list))
      try sandbox.writeConfiguration(sources: Self.roleSource(server))
      let first = try sandbox.originGuard("sync")
      try #require(first.status == 0, "\(first.errorOutput)")
      let before = try sandbox.ruleset()

      let hostile: @Sendable (NamespaceHTTPServer.Request) -> NamespaceHTTPServer.Response = {
        _ in
        switch kind {
        case "garbage": .text("<html>502 Bad Gateway</html>")
        case "expired": STSFake.credentials(lifetime: -3600)
        case "huge":
          .stream(
            status: 200, chunk: Array(repeating: UInt8(ascii: "{"), count: 1 << 16), count: 1 << 12)
        default:
          .json(
            #"{"RequestId":"R-2","HostId":"sts.aliyuncs.com","Code":"NoPermission","Message":"You are not authorized to do this action. You should be authorized by RAM."}"#,
            status: 403)
        }
      }
      server.answer(with: STSFake.withCDN(Self.list, sts: hostile))
      let started = Date()
      let result = try sandbox.originGuard("sync")
      #expect(Date().timeIntervalSince(started) < 30)
      #expect(result.errorOutput.contains(expected), "\(result.errorOutput)")
      #expect(result.errorOutput.contains(STSFake.role), "\(result.errorOutput)")
      #expect(
        result.errorOutput.contains("using the last-known-good list of source cdn"),
        "\(result.errorOutput)")
      #expect(try sandbox.ruleset() == before)
      expectNoSecret(first)
      expectNoSecret(result)
    }
  }

  /// The daemon keeps the role's temporary credentials across cycles instead of asking STS
  /// (and re-reading secrets) every interval.
  @Test func theDaemonAsksSTSOnceForSeveralCycles() async throws {
    try await GuardSandbox.with { sandbox in
      let server = try NamespaceHTTPServer(
        in: sandbox.namespace, handler: STSFake.withCDN(Self.list))
      try sandbox.writeConfiguration(
        sources: Self.roleSource(server), extra: "interval: 1s\njitter: 0s")
      let result = try sandbox.originGuard("run", "--cycles", "3")
      #expect(result.status == 0, "\(result.errorOutput)")
      let calls = server.requests.filter(STSFake.isSTS).count
      let cdnCalls = server.requests.count - calls
      #expect(calls == 1, "\(calls) STS calls")
      #expect(cdnCalls == 3, "\(cdnCalls) CDN calls")
      expectNoSecret(result)
    }
  }

  enum TokenFile: String, CaseIterable, Sendable {
    case missing, worldWritable, linkToWorldWritable, linkToGoodFile
  }

  @Test(arguments: TokenFile.allCases)
  func oidcTokenFile(_ kind: TokenFile) async throws {
    try await GuardSandbox.with { sandbox in
      let server = try NamespaceHTTPServer(
        in: sandbox.namespace, handler: STSFake.withCDN(Self.list))
      let good = try sandbox.write("tokens/..2026/token", STSFake.oidcToken, mode: 0o600)
      let writable = try sandbox.write("writable-token", STSFake.oidcToken, mode: 0o666)
      let path: String
      switch kind {
      case .missing: path = sandbox.directory + "/no-such-token"
      case .worldWritable: path = writable
      case .linkToWorldWritable:
        path = sandbox.directory + "/link"
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: writable)
      case .linkToGoodFile:
        path = sandbox.directory + "/token"
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: good)
      }
      try sandbox.writeConfiguration(
        sources: """
            - name: cdn
              type: alibaba-cdn
              domains: [www.example.com]
              endpoint: \(server.baseURL)
              sts_endpoint: \(server.baseURL)
              use_ecs_ram_role: false
              use_cli_profile: false
              use_credentials_ini: false
          """)
      let environment = [
        "ALIBABA_CLOUD_ROLE_ARN": STSFake.role,
        "ALIBABA_CLOUD_OIDC_PROVIDER_ARN": STSFake.oidcProvider,
        "ALIBABA_CLOUD_OIDC_TOKEN_FILE": path,
      ]
      let result = try sandbox.originGuard(["sync"], environment: environment)
      expectNoSecret(result)
      if kind == .linkToGoodFile {
        #expect(result.status == 0, "\(result.errorOutput)")
        #expect(try sandbox.kernelElements(set: "allowed_v4") == Set(Self.list))
        #expect(server.requests.contains { $0.query["Action"] == "AssumeRoleWithOIDC" })
        #expect(!server.requests.contains { $0.target.contains("oidc-reliability-token") })
        return
      }
      #expect(result.status == 5, "\(result.errorOutput)")
      #expect(result.errorOutput.contains("OIDC token file \(path) for role \(STSFake.role)"))
      #expect(
        result.errorOutput.contains(
          kind == .missing ? "does not exist" : "writable by group or others"),
        "\(result.errorOutput)")
      #expect(!server.requests.contains { STSFake.isSTS($0) }, "a token was sent anyway")
      #expect(try sandbox.namespace.nft("list", "ruleset").output.isEmpty)
    }
  }

  @Test func aCredentialsURIInClearTextToAnotherHostIsRefused() async throws {
    try await GuardSandbox.with { sandbox in
      try sandbox.writeConfiguration(
        sources: """
            - name: cdn
              type: alibaba-cdn
              domains: [www.example.com]
              endpoint: http://127.0.0.1:9
              use_environment: false
              use_ecs_ram_role: false
              use_cli_profile: false
              use_credentials_ini: false
              use_oidc: false
          """)
      let result = try sandbox.originGuard(
        ["sync"],
        environment: [
          "ALIBABA_CLOUD_CREDENTIALS_URI":
            "http://192.0.2.80:8080/creds?token=\(STSFake.securityToken)"
        ])
      #expect(result.status == 5, "\(result.errorOutput)")
      #expect(
        result.errorOutput.contains("ALIBABA_CLOUD_CREDENTIALS_URI http://192.0.2.80:8080/creds?…"),
        "\(result.errorOutput)")
      expectNoSecret(result)
      #expect(try sandbox.namespace.nft("list", "ruleset").output.isEmpty)
    }
  }
}
