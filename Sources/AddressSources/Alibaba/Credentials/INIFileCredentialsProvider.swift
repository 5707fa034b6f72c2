import Foundation

/// Step 4: the credentials ini file of Alibaba's SDKs: `ALIBABA_CLOUD_CREDENTIALS_FILE`, else
/// `~/.alibabacloud/credentials.ini` (Python), else `~/.alibabacloud/credentials` (Go, Node).
/// The section is `ALIBABA_CLOUD_PROFILE` or `default`; types access_key and ecs_ram_role.
struct INIFileCredentialsProvider: CredentialProvider {
  let environment: ProcessEnvironment
  let instanceRole: ECSRAMRoleCredentialsProvider
  var name: String { "credentials file" }

  func resolve() async throws(CredentialError) -> CredentialLookup {
    let path: String
    if let configured = environment["ALIBABA_CLOUD_CREDENTIALS_FILE"] {
      // Named explicitly: a missing file is a mistake, not an empty step.
      path = environment.expandingTilde(configured)
    } else {
      let candidates = ["credentials.ini", "credentials"].map {
        environment.homeDirectory + "/.alibabacloud/" + $0
      }
      guard let existing = candidates.first(where: { FileManager.default.fileExists(atPath: $0) })
      else {
        return .notConfigured("\(name): no \(candidates.joined(separator: " or "))")
      }
      path = existing
    }
    let text: String
    do {
      text = try String(contentsOfFile: path, encoding: .utf8)
    } catch {
      throw .unreadableFile(
        provider: name, path: path, reason: (error as NSError).localizedDescription)
    }
    let section = environment["ALIBABA_CLOUD_PROFILE"] ?? "default"
    guard let values = INIFile(text).sections[section] else {
      return .notConfigured("\(name): \(path) has no section [\(section)]")
    }
    let label = "\(name) \(path) [\(section)]"
    func value(_ key: String) -> String? { values[key].flatMap { $0.isEmpty ? nil : $0 } }
    let type = value("type") ?? "access_key"
    switch type {
    case "access_key":
      guard let id = value("access_key_id"), let secret = value("access_key_secret") else {
        throw .malformedFile(
          provider: label, path: path,
          problem: "type access_key needs access_key_id and access_key_secret")
      }
      return .found(AlibabaCredentials(accessKeyID: id, accessKeySecret: secret, origin: label))
    case "ecs_ram_role":
      return .found(
        try await instanceRole.credentials(roleName: value("role_name"), requestedBy: label))
    default:
      throw .unsupportedMode(provider: label, mode: type)
    }
  }
}
