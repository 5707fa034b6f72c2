import Crypto
import Foundation

/// Alibaba Cloud's older RPC signature (SignatureVersion 1.0, HMAC-SHA1), deprecated in favour
/// of V3. origin-guard sends V3; this is kept, with the documented test vector, for anyone
/// debugging an endpoint that still wants V2. SHA-1 here is an HMAC, as the protocol demands.
public enum RPCV2Signer {
  /// `METHOD&%2F&` + the encoded canonical query string.
  public static func stringToSign(method: String, parameters: [String: String]) -> String {
    method.uppercased() + "&" + ACS3Signer.percentEncode("/") + "&"
      + ACS3Signer.percentEncode(ACS3Signer.canonicalQueryString(parameters))
  }

  /// Base64 HMAC-SHA1 keyed by the secret followed by `&`.
  public static func signature(
    method: String, parameters: [String: String], accessKeySecret: String
  ) -> String {
    let key = SymmetricKey(data: Data((accessKeySecret + "&").utf8))
    let code = HMAC<Insecure.SHA1>.authenticationCode(
      for: Data(stringToSign(method: method, parameters: parameters).utf8), using: key)
    return Data(code).base64EncodedString()
  }
}
