/// What one step of the credential chain found.
enum CredentialLookup: Sendable {
  case found(AlibabaCredentials)
  /// This step has nothing to offer; the reason goes into the "none found" message.
  case notConfigured(String)
}

/// One step of the credential chain. Returns `.notConfigured` when its place is empty (no
/// variable, no file) and throws when something is there but unusable: then the chain stops
/// instead of quietly picking another identity further down.
protocol CredentialProvider: Sendable {
  var name: String { get }
  func resolve() async throws(CredentialError) -> CredentialLookup
}
