/// Where an Alibaba Cloud source gets credentials: the chain operators know from Alibaba's
/// own tools, first match wins, every step can be switched off.
///
/// 1. explicit: `credentials_file` (preferred) or inline `access_key_id` / `access_key_secret`
/// 2. environment: `ALIBABA_CLOUD_ACCESS_KEY_ID`, `ALIBABA_CLOUD_ACCESS_KEY_SECRET`,
///    `ALIBABA_CLOUD_SECURITY_TOKEN`
/// 3. OIDC / RRSA: `ALIBABA_CLOUD_ROLE_ARN`, `ALIBABA_CLOUD_OIDC_PROVIDER_ARN`,
///    `ALIBABA_CLOUD_OIDC_TOKEN_FILE` → STS `AssumeRoleWithOIDC`
/// 4. the aliyun CLI profile `~/.aliyun/config.json` (modes AK, StsToken, EcsRamRole)
/// 5. the credentials ini file (`ALIBABA_CLOUD_CREDENTIALS_FILE`, `~/.alibabacloud/credentials.ini`,
///    `~/.alibabacloud/credentials`)
/// 6. the ECS instance's RAM role via the metadata service (IMDSv2)
/// 7. `ALIBABA_CLOUD_CREDENTIALS_URI`
///
/// This is the order of Alibaba's credential libraries. With `role_arn`, whatever the chain
/// finds is used to assume that role with STS `AssumeRole`.
public struct AlibabaCredentialsConfig: Hashable, Sendable {
  /// `credentials_file`: an ini file with `access_key_id`, `access_key_secret` and optionally
  /// `security_token` (or `type = ecs_ram_role` with `role_name`), in section
  /// `credentials_profile` or `[default]`, or without any section. Keep it mode 0600.
  public var file: String?
  /// `credentials_profile`: the section of `credentials_file` to read.
  public var fileProfile: String?
  /// Inline `access_key_id` / `access_key_secret` / `security_token`. Works, but puts a secret
  /// into the configuration file: see `containsInlineSecret`.
  public var inline: AlibabaCredentials?
  /// `use_environment`
  public var useEnvironment: Bool
  /// `use_cli_profile`
  public var useCLIProfile: Bool
  /// `cli_profile`: the aliyun CLI profile; default `ALIBABA_CLOUD_PROFILE`, then the file's `current`.
  public var cliProfile: String?
  /// `use_credentials_ini`
  public var useCredentialsINI: Bool
  /// `use_ecs_ram_role`
  public var useECSRAMRole: Bool
  /// `ecs_role_name`: skip asking the metadata service which role is attached.
  public var ecsRoleName: String?
  /// `metadata_endpoint`: the ECS metadata service (tests point it at 127.0.0.1).
  public var metadataEndpoint: String
  /// `use_oidc`
  public var useOIDC: Bool
  /// `use_credentials_uri`
  public var useCredentialsURI: Bool
  /// `role_arn` and its companions: assume this role with what the chain finds.
  public var assumedRole: AssumedRole?
  /// `role_duration`: the lifetime asked of STS, for `role_arn` and OIDC alike.
  public var stsDurationSeconds: Int
  /// `sts_endpoint`: nil follows `ALIBABA_CLOUD_STS_REGION`, else `https://sts.aliyuncs.com`.
  public var stsEndpoint: String?

  public init(
    file: String? = nil, fileProfile: String? = nil, inline: AlibabaCredentials? = nil,
    useEnvironment: Bool = true,
    useCLIProfile: Bool = true, cliProfile: String? = nil, useCredentialsINI: Bool = true,
    useECSRAMRole: Bool = true, ecsRoleName: String? = nil,
    metadataEndpoint: String = "http://100.100.100.200", useOIDC: Bool = true,
    useCredentialsURI: Bool = true, assumedRole: AssumedRole? = nil,
    stsDurationSeconds: Int = AssumedRole.defaultDurationSeconds, stsEndpoint: String? = nil
  ) {
    self.stsDurationSeconds = stsDurationSeconds
    self.useOIDC = useOIDC
    self.useCredentialsURI = useCredentialsURI
    self.assumedRole = assumedRole
    self.stsEndpoint = stsEndpoint
    self.file = file
    self.fileProfile = fileProfile
    self.inline = inline
    self.useEnvironment = useEnvironment
    self.useCLIProfile = useCLIProfile
    self.cliProfile = cliProfile
    self.useCredentialsINI = useCredentialsINI
    self.useECSRAMRole = useECSRAMRole
    self.ecsRoleName = ecsRoleName
    self.metadataEndpoint = metadataEndpoint
  }

  /// True when a secret is written into the configuration itself: the loader should then
  /// refuse a configuration file readable by group or others.
  public var containsInlineSecret: Bool { inline != nil }
}
