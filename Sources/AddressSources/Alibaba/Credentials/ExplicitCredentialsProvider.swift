import Foundation

/// Step 1: credentials named in the source's configuration, inline or in `credentials_file`.
struct ExplicitCredentialsProvider: CredentialProvider {
  let config: AlibabaCredentialsConfig
  let environment: ProcessEnvironment
  var name: String { "configuration" }

  func resolve() async throws(CredentialError) -> CredentialLookup {
    if let inline = config.inline {
      guard !inline.accessKeyID.isEmpty, !inline.accessKeySecret.isEmpty else {
        throw .incomplete(
          provider: name, problem: "access_key_id and access_key_secret must both be set")
      }
      return .found(inline)
    }
    guard let file = config.file else {
      return .notConfigured("\(name): no credentials_file or inline keys")
    }
    let path = environment.expandingTilde(file)
    let text: String
    do {
      text = try String(contentsOfFile: path, encoding: .utf8)
    } catch {
      throw .unreadableFile(
        provider: name, path: path, reason: (error as NSError).localizedDescription)
    }
    let ini = INIFile(text)
    let section = config.fileProfile ?? (ini.sections["default"] != nil ? "default" : "")
    guard let values = ini.sections[section] else {
      throw .profileNotFound(provider: name, path: path, profile: section)
    }
    if let type = values["type"], type != "access_key" {
      throw .unsupportedMode(provider: "\(name) \(path)", mode: type)
    }
    guard let id = values["access_key_id"], !id.isEmpty, let secret = values["access_key_secret"],
      !secret.isEmpty
    else {
      throw .malformedFile(
        provider: name, path: path, problem: "access_key_id and access_key_secret are required")
    }
    let token = values["security_token"].flatMap { $0.isEmpty ? nil : $0 }
    return .found(
      AlibabaCredentials(
        accessKeyID: id, accessKeySecret: secret, securityToken: token,
        origin: "credentials_file \(path)"))
  }
}
