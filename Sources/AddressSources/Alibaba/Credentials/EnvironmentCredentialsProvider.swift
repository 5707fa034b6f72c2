/// Step 2: `ALIBABA_CLOUD_ACCESS_KEY_ID`, `ALIBABA_CLOUD_ACCESS_KEY_SECRET` and, for STS,
/// `ALIBABA_CLOUD_SECURITY_TOKEN` (from the injected environment, never the process's).
struct EnvironmentCredentialsProvider: CredentialProvider {
  let environment: ProcessEnvironment
  var name: String { "environment" }

  func resolve() async throws(CredentialError) -> CredentialLookup {
    let id = environment["ALIBABA_CLOUD_ACCESS_KEY_ID"]
    let secret = environment["ALIBABA_CLOUD_ACCESS_KEY_SECRET"]
    switch (id, secret) {
    case (let id?, let secret?):
      return .found(
        AlibabaCredentials(
          accessKeyID: id, accessKeySecret: secret,
          securityToken: environment["ALIBABA_CLOUD_SECURITY_TOKEN"],
          origin: name))
    case (nil, nil):
      return .notConfigured("\(name): ALIBABA_CLOUD_ACCESS_KEY_ID not set")
    case (nil, _):
      throw .incomplete(
        provider: name,
        problem: "ALIBABA_CLOUD_ACCESS_KEY_SECRET is set but ALIBABA_CLOUD_ACCESS_KEY_ID is not")
    case (_, nil):
      throw .incomplete(
        provider: name,
        problem: "ALIBABA_CLOUD_ACCESS_KEY_ID is set but ALIBABA_CLOUD_ACCESS_KEY_SECRET is not")
    }
  }
}
