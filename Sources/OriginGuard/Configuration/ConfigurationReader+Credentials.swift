import AddressSources
import Foundation

/// Alibaba Cloud credentials, written as flat keys of the source (as `AlibabaCredentialsConfig`
/// documents them): `credentials_file`, inline `access_key_id` / `access_key_secret`, and
/// switches for each step of the default chain.
extension ConfigurationReader {
  func readCredentials(_ keys: inout MappingReader, source: String) -> AlibabaCredentialsConfig {
    var config = AlibabaCredentialsConfig()
    let fileField = keys.optional("credentials_file")
    config.file = fileField.flatMap { absolutePath($0, allowHome: true) }
    let profileField = keys.optional("credentials_profile")
    config.fileProfile = profileField?.string()
    if let profileField, fileField == nil {
      profileField.invalid("names a section of credentials_file, which is not set")
    }

    let idField = keys.optional("access_key_id")
    let secretField = keys.optional("access_key_secret")
    let tokenField = keys.optional("security_token")
    if let secretField {
      InlineSecretCheck.check(secretField, source: source, fileMode: fileMode)
    }
    if let id = idField?.string(), let secret = secretField?.string() {
      config.inline = AlibabaCredentials(
        accessKeyID: id, accessKeySecret: secret, securityToken: tokenField?.string())
    }
    reportIncompleteInlineCredentials(
      &keys, id: idField, secret: secretField, token: tokenField, file: fileField)

    if let use = keys.optional("use_environment")?.bool() { config.useEnvironment = use }
    let useCLIField = keys.optional("use_cli_profile")
    if let use = useCLIField?.bool() { config.useCLIProfile = use }
    let cliProfileField = keys.optional("cli_profile")
    config.cliProfile = cliProfileField?.string()
    if let use = keys.optional("use_credentials_ini")?.bool() { config.useCredentialsINI = use }
    let useRoleField = keys.optional("use_ecs_ram_role")
    if let use = useRoleField?.bool() { config.useECSRAMRole = use }
    let roleField = keys.optional("ecs_role_name")
    config.ecsRoleName = roleField?.string()
    if let field = keys.optional("metadata_endpoint"), let text = field.string() {
      config.metadataEndpoint =
        EndpointCheck.metadataService(text, at: field) ?? config.metadataEndpoint
    }

    if let use = keys.optional("use_oidc")?.bool() { config.useOIDC = use }
    if let use = keys.optional("use_credentials_uri")?.bool() { config.useCredentialsURI = use }
    readAssumedRole(&keys, into: &config)

    if let cliProfileField, !config.useCLIProfile {
      cliProfileField.invalid("has no effect: use_cli_profile is false")
    }
    if let roleField, !config.useECSRAMRole {
      roleField.invalid("has no effect: use_ecs_ram_role is false")
    }
    let anySource =
      fileField != nil || idField != nil || config.useEnvironment || config.useCLIProfile
      || config.useCredentialsINI || config.useECSRAMRole || config.useOIDC
      || config.useCredentialsURI
    if !anySource {
      keys.field.invalid(
        "every way of finding credentials is switched off; set credentials_file or enable one of use_environment, use_oidc, use_cli_profile, use_credentials_ini, use_ecs_ram_role, use_credentials_uri"
      )
    }
    return config
  }

  /// `role_arn` with `role_session_name`, `external_id`, `role_policy`; `role_duration` and
  /// `sts_endpoint`, which OIDC uses too.
  private func readAssumedRole(
    _ keys: inout MappingReader, into config: inout AlibabaCredentialsConfig
  ) {
    let arnField = keys.optional("role_arn")
    let sessionField = keys.optional("role_session_name")
    let externalField = keys.optional("external_id")
    let policyField = keys.optional("role_policy")
    if let field = keys.optional("role_duration"),
      let duration = field.duration(atLeast: .seconds(1))
    {
      let seconds = Int(duration.components.seconds)
      if AssumedRole.durationBounds.contains(seconds) {
        config.stsDurationSeconds = seconds
      } else {
        field.invalid(
          "STS accepts 15m to 12h (900 to 43200 seconds), and at most the role's MaxSessionDuration"
        )
      }
    }
    if let field = keys.optional("sts_endpoint"), let text = field.string() {
      if let url = EndpointCheck.https(text, at: field) {
        if let parsed = URL(string: url),
          !(parsed.path.isEmpty || parsed.path == "/")
            || parsed.query != nil
        {
          field.invalid(
            "the STS endpoint is a host (https://sts.cn-hangzhou.aliyuncs.com), without a path")
        } else {
          config.stsEndpoint = url
        }
      }
    }
    guard let arnField else {
      for (key, field) in [
        ("role_session_name", sessionField), ("external_id", externalField),
        ("role_policy", policyField),
      ] {
        field?.invalid("\(key) belongs with role_arn, which is not set")
      }
      return
    }
    guard let arn = arnField.string() else { return }
    guard arn.hasPrefix("acs:ram::"), arn.contains(":role/") else {
      arnField.invalid(
        "\(String(reflecting: arn)) is not a RAM role ARN; write acs:ram::<account id>:role/<role name>"
      )
      return
    }
    var role = AssumedRole(arn: arn)
    if let sessionField, let name = sessionField.string() {
      if AssumedRole.isValidSessionName(name) {
        role.sessionName = name
      } else {
        sessionField.invalid("2 to 64 letters, digits, '.', '@', '-' or '_'")
      }
    }
    if let externalField, let id = externalField.string() {
      if (2...1224).contains(id.count) {
        role.externalID = id
      } else {
        externalField.invalid("an external id has 2 to 1224 characters")
      }
    }
    if let policyField, let policy = policyField.string() {
      if (try? JSONSerialization.jsonObject(with: Data(policy.utf8))) is [String: Any] {
        role.policy = policy
      } else {
        policyField.invalid("a policy is a JSON object, written as a string")
      }
    }
    config.assumedRole = role
  }

  private func reportIncompleteInlineCredentials(
    _ keys: inout MappingReader, id: YAMLField?, secret: YAMLField?, token: YAMLField?,
    file: YAMLField?
  ) {
    let path = keys.field.keyPath
    let line = keys.field.line
    if id != nil, secret == nil {
      keys.field.problems.add(
        .missingKey, line: line, keyPath: "\(path).access_key_secret",
        "missing required key; access_key_id needs access_key_secret (or use credentials_file)")
    }
    if secret != nil, id == nil {
      keys.field.problems.add(
        .missingKey, line: line, keyPath: "\(path).access_key_id",
        "missing required key; access_key_secret needs access_key_id")
    }
    if let token, id == nil || secret == nil {
      token.invalid("security_token needs access_key_id and access_key_secret")
    }
    if let file, id != nil || secret != nil {
      file.invalid(
        "credentials_file and inline access_key_id / access_key_secret are alternatives; keep credentials_file"
      )
    }
  }
}
