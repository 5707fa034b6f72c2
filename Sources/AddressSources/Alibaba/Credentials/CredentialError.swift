import Foundation

/// Why no credentials could be had. Messages never contain a secret, nor a line of a
/// credentials file (which could be one).
public enum CredentialError: Error, Hashable, Sendable, CustomStringConvertible {
  /// No step of the chain had credentials; `tried` says what each step looked at.
  case notFound(tried: [String])
  /// A step is configured but unusable (an id without a secret, say). The chain stops here
  /// rather than silently using another identity.
  case incomplete(provider: String, problem: String)
  case unreadableFile(provider: String, path: String, reason: String)
  case malformedFile(provider: String, path: String, problem: String)
  case profileNotFound(provider: String, path: String, profile: String)
  /// A profile mode or credential type origin-guard does not implement (RamRoleArn, OIDC...).
  case unsupportedMode(provider: String, mode: String)
  /// The ECS instance metadata service failed.
  case metadataService(url: String, problem: String, retryable: Bool)
  /// STS refused or garbled `AssumeRole` / `AssumeRoleWithOIDC` for `role`.
  case sts(role: String, endpoint: String, problem: String, requestID: String?, retryable: Bool)
  /// The OIDC token file of `role` is missing, empty, too large or not trustworthy.
  case oidcTokenFile(role: String, path: String, problem: String)
  /// `ALIBABA_CLOUD_CREDENTIALS_URI` failed; `url` is shown without its query.
  case credentialsURI(url: String, problem: String, retryable: Bool)

  public var isRetryable: Bool {
    switch self {
    case .metadataService(_, _, let retryable), .sts(_, _, _, _, let retryable),
      .credentialsURI(_, _, let retryable):
      retryable
    default: false
    }
  }

  public var description: String {
    switch self {
    case .notFound(let tried):
      return "none found. Tried: " + tried.joined(separator: "; ")
        + ". Configure credentials_file, set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET,"
        + " or attach a RAM role to this ECS instance"
    case .incomplete(let provider, let problem):
      return "\(provider): \(problem)"
    case .unreadableFile(let provider, let path, let reason):
      return "\(provider): cannot read \(path): \(reason)"
    case .malformedFile(let provider, let path, let problem):
      return "\(provider): \(path): \(problem)"
    case .profileNotFound(let provider, let path, let profile):
      return "\(provider): \(path) has no profile \(String(reflecting: profile))"
    case .unsupportedMode(let provider, let mode):
      return
        "\(provider): credential mode \(String(reflecting: mode)) is not supported by origin-guard"
        + " (supported: AccessKey, STS token, ECS RAM role; for a RAM role ARN or OIDC use the source's role_arn keys or the ALIBABA_CLOUD_ROLE_ARN variables)"
    case .metadataService(let url, let problem, _):
      return "ECS metadata service \(url): \(problem)"
    case .sts(let role, let endpoint, let problem, let requestID, _):
      return "STS \(endpoint), role \(role): \(problem)"
        + (requestID.map { " (RequestId \($0))" } ?? "")
    case .oidcTokenFile(let role, let path, let problem):
      return "OIDC token file \(path) for role \(role): \(problem)"
    case .credentialsURI(let url, let problem, _):
      return "ALIBABA_CLOUD_CREDENTIALS_URI \(url): \(problem)"
    }
  }
}
