import AddressSources

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

    if let cliProfileField, !config.useCLIProfile {
      cliProfileField.invalid("has no effect: use_cli_profile is false")
    }
    if let roleField, !config.useECSRAMRole {
      roleField.invalid("has no effect: use_ecs_ram_role is false")
    }
    let anySource =
      fileField != nil || idField != nil || config.useEnvironment || config.useCLIProfile
      || config.useCredentialsINI || config.useECSRAMRole
    if !anySource {
      keys.field.invalid(
        "every way of finding credentials is switched off; set credentials_file or enable one of use_environment, use_cli_profile, use_credentials_ini, use_ecs_ram_role"
      )
    }
    return config
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
