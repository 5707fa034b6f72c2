/// Step 3: RRSA, the RAM role of an ACK pod's service account. Used when
/// `ALIBABA_CLOUD_ROLE_ARN`, `ALIBABA_CLOUD_OIDC_PROVIDER_ARN` and
/// `ALIBABA_CLOUD_OIDC_TOKEN_FILE` are all set (ACK's pod-identity webhook sets them); the
/// token file is read on every refresh and exchanged with STS `AssumeRoleWithOIDC`.
struct OIDCCredentialsProvider: CredentialProvider {
  let environment: ProcessEnvironment
  let sts: STSClient
  let durationSeconds: Int
  var name: String { "OIDC (RRSA)" }

  static let variables = [
    "ALIBABA_CLOUD_ROLE_ARN", "ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
  ]

  func resolve() async throws(CredentialError) -> CredentialLookup {
    let values = Self.variables.map { environment[$0] }
    let missing = zip(Self.variables, values).filter { $0.1 == nil }.map(\.0)
    if missing.count == Self.variables.count {
      return .notConfigured("\(name): ALIBABA_CLOUD_ROLE_ARN not set")
    }
    guard missing.isEmpty, let role = values[0], let provider = values[1], let file = values[2]
    else {
      // Half a configuration is a mistake to report, not a reason to use another identity.
      throw .incomplete(
        provider: name,
        problem: "\(missing.joined(separator: " and ")) not set, but the other RRSA variables are")
    }
    let path = environment.expandingTilde(file)
    let token = try OIDCTokenFile.read(path, role: role)
    let session = environment["ALIBABA_CLOUD_ROLE_SESSION_NAME"] ?? AssumedRole.defaultSessionName
    do {
      return .found(
        try await sts.assumeRoleWithOIDC(
          roleARN: role, providerARN: provider, token: token, sessionName: session,
          durationSeconds: durationSeconds, origin: "\(name) \(role)"))
    } catch .sts(let role, let endpoint, let problem, let requestID, let retryable) {
      // An expired or foreign token is the file's fault: say which file.
      throw .sts(
        role: role, endpoint: endpoint, problem: problem + " (OIDC token from \(path))",
        requestID: requestID, retryable: retryable)
    }
  }
}
