import Foundation

/// Step 3: a profile of the aliyun CLI's `~/.aliyun/config.json`. The profile is the
/// configured `cli_profile`, else `ALIBABA_CLOUD_PROFILE`, else the file's `current`.
/// Modes AK, StsToken and EcsRamRole are understood.
struct CLIProfileCredentialsProvider: CredentialProvider {
  let environment: ProcessEnvironment
  let profile: String?
  let instanceRole: ECSRAMRoleCredentialsProvider
  var name: String { "aliyun CLI profile" }

  func resolve() async throws(CredentialError) -> CredentialLookup {
    if environment.flag("ALIBABA_CLOUD_CLI_PROFILE_DISABLED") {
      return .notConfigured("\(name): disabled by ALIBABA_CLOUD_CLI_PROFILE_DISABLED")
    }
    let path = environment.homeDirectory + "/.aliyun/config.json"
    guard FileManager.default.fileExists(atPath: path) else {
      return .notConfigured("\(name): no \(path)")
    }
    let document: Any
    do {
      document = try JSONSerialization.jsonObject(
        with: Data(contentsOf: URL(fileURLWithPath: path)))
    } catch let error as CocoaError
      where error.code == .fileReadNoPermission || error.code == .fileReadUnknown
    {
      throw .unreadableFile(provider: name, path: path, reason: error.localizedDescription)
    } catch {
      throw .malformedFile(provider: name, path: path, problem: "not valid JSON")
    }
    guard let root = document as? [String: Any], let profiles = root["profiles"] as? [[String: Any]]
    else {
      throw .malformedFile(
        provider: name, path: path, problem: "expected an object with a profiles array")
    }
    let wanted =
      profile ?? environment["ALIBABA_CLOUD_PROFILE"] ?? (root["current"] as? String) ?? "default"
    guard let entry = profiles.first(where: { ($0["name"] as? String) == wanted }) else {
      return .notConfigured("\(name): \(path) has no profile \(String(reflecting: wanted))")
    }
    let label = "\(name) \(wanted)"
    func field(_ key: String) -> String? {
      guard let value = entry[key] as? String, !value.isEmpty else { return nil }
      return value
    }
    let mode = field("mode") ?? "AK"
    switch mode {
    case "AK", "StsToken":
      guard let id = field("access_key_id"), let secret = field("access_key_secret") else {
        throw .malformedFile(
          provider: label, path: path,
          problem: "mode \(mode) needs access_key_id and access_key_secret")
      }
      var token: String?
      if mode == "StsToken" {
        guard let sts = field("sts_token") else {
          throw .malformedFile(
            provider: label, path: path, problem: "mode StsToken needs sts_token")
        }
        token = sts
      }
      return .found(
        AlibabaCredentials(
          accessKeyID: id, accessKeySecret: secret, securityToken: token, origin: label))
    case "EcsRamRole":
      return .found(
        try await instanceRole.credentials(roleName: field("ram_role_name"), requestedBy: label))
    default:
      throw .unsupportedMode(provider: label, mode: mode)
    }
  }
}
