/// `role_arn`: the credentials the other steps find are only the source identity; what the
/// source signs with are the temporary credentials of `role` from STS `AssumeRole` (a role in
/// another account, or one with fewer permissions).
struct RAMRoleARNCredentialsProvider: CredentialProvider {
  let role: AssumedRole
  let durationSeconds: Int
  /// The steps that find the source identity, first match wins.
  let sources: [any CredentialProvider]
  let disabledSteps: [String]
  let sts: STSClient
  var name: String { "RAM role \(role.arn)" }

  func resolve() async throws(CredentialError) -> CredentialLookup {
    let source: AlibabaCredentials
    switch await AlibabaCredentialChain.lookUp(sources, disabled: disabledSteps, preferring: nil) {
    case .success(let (credentials, _)): source = credentials
    case .failure(.notFound(let tried)):
      throw .incomplete(
        provider: name,
        problem: "no source credentials to assume it with. Tried: " + tried.joined(separator: "; "))
    case .failure(let error): throw error
    }
    return .found(try await sts.assumeRole(role, durationSeconds: durationSeconds, source: source))
  }
}
