import Crypto
import Foundation

/// Checks an ACS3-HMAC-SHA256 signature the way the Alibaba Cloud documentation describes it,
/// written separately from `ACS3Signer` so that the two can catch each other's mistakes: this
/// one rebuilds the canonical request from what arrived on the wire.
enum IndependentV3Verifier {
  enum Outcome: Equatable {
    case valid(accessKeyID: String)
    case unknownAccessKey(String)
    case invalid(String)
  }

  static let requiredSignedHeaders = [
    "host", "x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce",
    "x-acs-version",
  ]

  static func verify(_ request: TestRequest, secrets: [String: String]) -> Outcome {
    guard let authorization = request.header("authorization"),
      authorization.hasPrefix("ACS3-HMAC-SHA256 ")
    else { return .invalid("no ACS3-HMAC-SHA256 Authorization header") }
    var fields: [String: String] = [:]
    for item in authorization.dropFirst("ACS3-HMAC-SHA256 ".count).components(separatedBy: ",") {
      let pair = item.components(separatedBy: "=")
      guard pair.count == 2 else { return .invalid("bad Authorization item \(item)") }
      fields[pair[0].trimmingCharacters(in: .whitespaces)] = pair[1]
    }
    guard let accessKeyID = fields["Credential"], let signedHeaderList = fields["SignedHeaders"],
      let claimed = fields["Signature"]
    else { return .invalid("Authorization lacks Credential, SignedHeaders or Signature") }
    guard let secret = secrets[accessKeyID] else { return .unknownAccessKey(accessKeyID) }

    let signedHeaders = signedHeaderList.components(separatedBy: ";")
    for required in requiredSignedHeaders where !signedHeaders.contains(required) {
      return .invalid("\(required) is not signed")
    }
    if request.header("x-acs-security-token") != nil {
      for required in ["x-acs-security-token", "x-acs-accesskey-id"]
      where !signedHeaders.contains(required) {
        return .invalid("\(required) is not signed")
      }
      guard request.header("x-acs-accesskey-id") == accessKeyID else {
        return .invalid("x-acs-accesskey-id differs from the Credential")
      }
    }
    guard signedHeaders == signedHeaders.sorted() else {
      return .invalid("SignedHeaders are not sorted")
    }

    let payloadHash = SHA256.hash(data: Data(request.body)).map { String(format: "%02x", $0) }
      .joined()
    guard request.header("x-acs-content-sha256") == payloadHash else {
      return .invalid("x-acs-content-sha256 is not the body's hash")
    }

    // Query: decode what arrived, re-encode per RFC 3986, sort.
    let unreserved = CharacterSet(
      charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")
    func encode(_ text: String) -> String {
      text.addingPercentEncoding(withAllowedCharacters: unreserved)!
    }
    let canonicalQuery = request.query.map { encode($0.key) + "=" + encode($0.value) }.sorted()
      .joined(separator: "&")

    var canonicalHeaders = ""
    for name in signedHeaders {
      guard let value = request.headers[name].first else {
        return .invalid("signed header \(name) missing")
      }
      canonicalHeaders += name + ":" + value.trimmingCharacters(in: .whitespaces) + "\n"
    }
    let canonicalRequest =
      request.method.rawValue + "\n" + request.path + "\n" + canonicalQuery + "\n"
      + canonicalHeaders + "\n"
      + signedHeaderList + "\n" + payloadHash
    let hashedCanonicalRequest = SHA256.hash(data: Data(canonicalRequest.utf8)).map {
      String(format: "%02x", $0)
    }
    .joined()
    let stringToSign = "ACS3-HMAC-SHA256\n" + hashedCanonicalRequest
    let expected = HMAC<SHA256>.authenticationCode(
      for: Data(stringToSign.utf8), using: SymmetricKey(data: Data(secret.utf8))
    ).map { String(format: "%02x", $0) }.joined()
    return expected == claimed ? .valid(accessKeyID: accessKeyID) : .invalid("signature mismatch")
  }
}
