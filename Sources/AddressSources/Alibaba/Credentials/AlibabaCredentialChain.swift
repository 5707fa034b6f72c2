import Foundation
import Logging

/// The credential chain of one source: asks its steps in order, first match wins, and keeps
/// the answer. Temporary credentials are refreshed from the same step 15 minutes before they
/// expire (half their lifetime, for shorter ones); if that refresh fails while the old ones are
/// still valid, the old ones are used.
public actor AlibabaCredentialChain {
  static let refreshMargin: TimeInterval = 15 * 60

  private let providers: [any CredentialProvider]
  /// Steps switched off in configuration, for the "none found" message.
  private let disabledSteps: [String]
  private let clock: any SourceClock
  private let logger: Logger
  private var cached: (credentials: AlibabaCredentials, provider: Int, obtained: Date)?
  /// One lookup at a time: concurrent calls for several domains share it.
  private var inFlight: Task<Result<(AlibabaCredentials, Int), CredentialError>, Never>?

  public init(
    config: AlibabaCredentialsConfig, environment: ProcessEnvironment, clock: any SourceClock,
    logger: Logger
  ) {
    let instanceRole = ECSRAMRoleCredentialsProvider(
      endpoint: config.metadataEndpoint, roleName: config.ecsRoleName, environment: environment,
      logger: logger)
    let sts = STSClient(
      endpoint: STSEndpoint.resolve(configured: config.stsEndpoint, environment: environment),
      clock: clock)
    var providers: [any CredentialProvider] = [
      ExplicitCredentialsProvider(config: config, environment: environment)
    ]
    var disabled: [String] = []
    func add(_ enabled: Bool, _ key: String, _ provider: any CredentialProvider) {
      if enabled {
        providers.append(provider)
      } else {
        disabled.append("switched off (\(key): false)")
      }
    }
    add(
      config.useEnvironment, "use_environment",
      EnvironmentCredentialsProvider(environment: environment))
    add(
      config.useOIDC, "use_oidc",
      OIDCCredentialsProvider(
        environment: environment, sts: sts,
        durationSeconds: config.stsDurationSeconds))
    add(
      config.useCLIProfile, "use_cli_profile",
      CLIProfileCredentialsProvider(
        environment: environment, profile: config.cliProfile, instanceRole: instanceRole))
    add(
      config.useCredentialsINI, "use_credentials_ini",
      INIFileCredentialsProvider(environment: environment, instanceRole: instanceRole))
    add(config.useECSRAMRole, "use_ecs_ram_role", instanceRole)
    add(
      config.useCredentialsURI, "use_credentials_uri",
      CredentialsURIProvider(environment: environment))
    if let role = config.assumedRole {
      self.providers = [
        RAMRoleARNCredentialsProvider(
          role: role, durationSeconds: config.stsDurationSeconds, sources: providers,
          disabledSteps: disabled, sts: sts)
      ]
      self.disabledSteps = []
    } else {
      self.providers = providers
      self.disabledSteps = disabled
    }
    self.clock = clock
    self.logger = logger
  }

  /// Usable credentials, from the cache while they are fresh.
  public func credentials() async throws(CredentialError) -> AlibabaCredentials {
    let now = clock.now()
    if let cached, isFresh(cached.credentials, obtained: cached.obtained, at: now) {
      return cached.credentials
    }
    let lookup: Task<Result<(AlibabaCredentials, Int), CredentialError>, Never>
    if let inFlight {
      lookup = inFlight
    } else {
      let providers = providers
      let disabled = disabledSteps
      let preferred = cached?.provider
      lookup = Task { await Self.lookUp(providers, disabled: disabled, preferring: preferred) }
      inFlight = lookup
    }
    var result = await lookup.value
    inFlight = nil
    if case .success(let (credentials, _)) = result, let expiration = credentials.expiration,
      expiration <= now
    {
      result = .failure(
        .incomplete(
          provider: credentials.origin,
          problem:
            "the temporary credentials it gave expired at \(expiration.formatted(.iso8601)); check this host's clock"
        ))
    }
    switch result {
    case .success(let (credentials, provider)):
      cached = (credentials, provider, now)
      logger.debug("Alibaba Cloud credentials from \(credentials.origin)")
      return credentials
    case .failure(let error):
      // A refresh that fails while the old temporary credentials still work is not fatal.
      if let cached, let expiration = cached.credentials.expiration, now < expiration {
        logger.warning(
          "refreshing Alibaba Cloud credentials failed, using the current ones until \(expiration): \(error)"
        )
        return cached.credentials
      }
      throw error
    }
  }

  private func isFresh(_ credentials: AlibabaCredentials, obtained: Date, at now: Date) -> Bool {
    guard let expiration = credentials.expiration else { return true }
    // A 15-minute session (STS's shortest) would otherwise be stale the moment it arrives.
    let margin = min(Self.refreshMargin, expiration.timeIntervalSince(obtained) / 2)
    return now < expiration.addingTimeInterval(-margin)
  }

  /// The first step that has credentials; on a refresh, the step that had them last time.
  static func lookUp(
    _ providers: [any CredentialProvider], disabled: [String], preferring preferred: Int?
  ) async -> Result<(AlibabaCredentials, Int), CredentialError> {
    if let preferred {
      do {
        if case .found(let credentials) = try await providers[preferred].resolve() {
          return .success((credentials, preferred))
        }
      } catch {
        return .failure(error)
      }
    }
    var tried: [String] = []
    for (index, provider) in providers.enumerated() {
      do {
        switch try await provider.resolve() {
        case .found(let credentials): return .success((credentials, index))
        case .notConfigured(let reason): tried.append(reason)
        }
      } catch {
        return .failure(error)
      }
    }
    return .failure(.notFound(tried: tried + disabled))
  }
}
