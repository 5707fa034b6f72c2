import Foundation

/// The JSON both the ECS metadata service and a credentials URI answer with:
/// `{"Code": "Success", "AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration"}`.
/// One reading of it for both; each caller says in its own error where the answer came from.
struct TemporaryCredentialsDocument {
  /// What is wrong with an answer, in words a caller puts after its own subject.
  enum Problem: Error {
    case notJSON
    /// `Code` other than `Success` (the service's own refusal; worth a retry).
    case code(String)
    case incomplete

    var retryable: Bool {
      if case .code = self { return true }
      return false
    }
  }

  let accessKeyID: String
  let accessKeySecret: String
  let securityToken: String
  let expiration: Date

  init(_ body: Data) throws(Problem) {
    guard let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
    else { throw .notJSON }
    if let code = object["Code"] as? String, code != "Success" {
      throw .code(MessageText.clip(code, limit: 80))
    }
    guard let id = object["AccessKeyId"] as? String, !id.isEmpty,
      let secret = object["AccessKeySecret"] as? String, !secret.isEmpty,
      let token = object["SecurityToken"] as? String, !token.isEmpty,
      let expirationText = object["Expiration"] as? String,
      let expiration = try? Date(expirationText, strategy: .iso8601)
    else { throw .incomplete }
    (accessKeyID, accessKeySecret, securityToken, self.expiration) = (id, secret, token, expiration)
  }

  func credentials(origin: String) -> AlibabaCredentials {
    AlibabaCredentials(
      accessKeyID: accessKeyID, accessKeySecret: accessKeySecret, securityToken: securityToken,
      expiration: expiration, origin: origin)
  }
}
