import Foundation
import TestSupport

/// Answers as Alibaba Cloud's CDN API does, for the binary's `alibaba-cdn` source. Signatures
/// are checked by AddressSourcesTests against an independent verifier; here only their presence
/// matters, since these tests are about what the binary does with the answers.
enum AlibabaFake {
  // Distinctive values, so a test can search every output for them.
  static let accessKeyID = "LTAI5tReliabilityKey7q"
  static let accessKeySecret = "reliability-secret-Xq9Zt4Wv"
  static let securityToken = "CAIS-reliability-token-Mm3PzR"

  static func vips(for request: NamespaceHTTPServer.Request, _ prefixes: [String])
    -> NamespaceHTTPServer.Response
  {
    guard request.header("authorization")?.hasPrefix("ACS3-HMAC-SHA256 ") == true else {
      return error(400, "MissingAuthorization", "no signature")
    }
    guard request.header("x-acs-action") == "DescribeL2VipsByDomain",
      let domain = request.query["DomainName"]
    else { return error(404, "InvalidApi.NotFound", "wrong action") }
    let list = prefixes.map { "\"\($0)\"" }.joined(separator: ",")
    return .json(
      #"{"DomainName":"\#(domain)","RequestId":"16A96B9A-F203-4EC5-8E43-CB92E68F4CD8","Vips":{"Vip":[\#(list)]}}"#
    )
  }

  static func error(
    _ status: Int, _ code: String, _ message: String, headers: [(String, String)] = []
  ) -> NamespaceHTTPServer.Response {
    .json(
      #"{"RequestId":"E5D8A6F0-0000-4000-8000-000000000001","HostId":"cdn.aliyuncs.com","Code":"\#(code)","Message":"\#(message)"}"#,
      status: status, headers: headers)
  }
}

/// Plays the ECS instance metadata service (IMDSv2 token, role credentials).
enum MetadataFake {
  static let role = "OriginGuardRole"
  static let accessKeyID = "STS.ECSReliabilityKey"
  static let accessKeySecret = "ecs-reliability-secret-K2bN"
  static let securityToken = "CAIS-ecs-reliability-token-Z8Lp"
  static let sessionToken = "AQAEAFm-imds-reliability"

  @Sendable static func answer(_ request: NamespaceHTTPServer.Request)
    -> NamespaceHTTPServer.Response
  {
    if request.method == "PUT" && request.path == "/latest/api/token" {
      return .text(sessionToken)
    }
    guard request.header("x-aliyun-ecs-metadata-token") == sessionToken else {
      return .text("token required", status: 401)
    }
    let credentials = "/latest/meta-data/ram/security-credentials/"
    if request.path == credentials { return .text(role + "\n") }
    guard request.path == credentials + role else { return .text("", status: 404) }
    let expiration = Date().addingTimeInterval(3600).formatted(.iso8601)
    return .json(
      """
      {"AccessKeyId":"\(accessKeyID)","AccessKeySecret":"\(accessKeySecret)","Expiration":"\(expiration)",
       "SecurityToken":"\(securityToken)","LastUpdated":"2026-01-01T00:00:00Z","Code":"Success"}
      """)
  }
}

/// `openssl s_server` on 127.0.0.1 in the namespace, with a certificate made a moment ago
/// that no authority signed: what a man in the middle, or a misconfigured proxy, presents.
enum SelfSignedTLSServer {
  static let port = 8443

  static func start(in sandbox: GuardSandbox) throws -> ReliabilityProcess {
    let key = sandbox.directory + "/tls-key.pem"
    let certificate = sandbox.directory + "/tls-cert.pem"
    try run([
      "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
      "-nodes", "-keyout", key, "-out", certificate, "-days", "1", "-subj", "/CN=127.0.0.1",
      "-addext", "subjectAltName=IP:127.0.0.1",
    ])
    let server = try ReliabilityProcess(
      [
        "ip", "netns", "exec", sandbox.namespace.name, "openssl", "s_server", "-accept",
        "127.0.0.1:\(port)", "-cert", certificate, "-key", key, "-www", "-quiet",
      ], output: sandbox.directory + "/tls-server.log")
    try waitUntilListening(sandbox.namespace, port: port)
    return server
  }

  static func waitUntilListening(_ namespace: ThrowawayNamespace, port: Int) throws {
    for _ in 0..<100 {
      if try namespace.run(["ss", "-ltnH"]).output.contains("127.0.0.1:\(port) ") { return }
      usleep(50_000)
    }
    throw ServerError("nothing listens on 127.0.0.1:\(port) in \(namespace.name)")
  }
}
