import Crypto
import Foundation

/// Alibaba Cloud's V3 request signature, ACS3-HMAC-SHA256 (documented under "V3 request
/// structure and signature"): a canonical request is hashed, the hash signed with HMAC-SHA256
/// keyed by the AccessKey secret, and the result sent in `Authorization`.
public enum ACS3Signer {
  public static let algorithm = "ACS3-HMAC-SHA256"
  /// SHA-256 of the empty body, the value of `x-acs-content-sha256` for RPC calls.
  public static let emptyBodyHash = SHA256Hex.digest(Data())

  /// What the signature covers.
  public struct Request: Sendable {
    public var method: String
    /// "/" for RPC-style APIs.
    public var path: String
    public var query: [String: String]
    /// Every header to send; names in any case.
    public var headers: [String: String]

    public init(
      method: String, path: String = "/", query: [String: String], headers: [String: String]
    ) {
      self.method = method
      self.path = path
      self.query = query
      self.headers = headers
    }
  }

  /// The parts of a signature, exposed so tests can compare each with the documentation.
  public struct Signed: Sendable {
    public let canonicalRequest: String
    public let stringToSign: String
    public let signedHeaders: String
    public let signature: String

    public func authorization(accessKeyID: String) -> String {
      "\(ACS3Signer.algorithm) Credential=\(accessKeyID),SignedHeaders=\(signedHeaders),Signature=\(signature)"
    }
  }

  /// Headers that take part in the signature: `host`, `content-type` and every `x-acs-*`
  /// header, as the SDKs do. Other headers (`accept`, `user-agent`) may be changed by proxies.
  static func isSigned(_ lowercasedName: String) -> Bool {
    lowercasedName == "host" || lowercasedName == "content-type"
      || lowercasedName.hasPrefix("x-acs-")
  }

  public static func sign(_ request: Request, accessKeySecret: String) -> Signed {
    let headers = request.headers
      .map { (name: $0.key.lowercased(), value: $0.value.trimmingCharacters(in: .whitespaces)) }
      .filter { isSigned($0.name) }
      .sorted { $0.name < $1.name }
    let signedHeaders = headers.map(\.name).joined(separator: ";")
    let canonicalHeaders = headers.map { "\($0.name):\($0.value)\n" }.joined()
    let payloadHash = headers.first { $0.name == "x-acs-content-sha256" }?.value ?? emptyBodyHash
    let canonicalRequest = [
      request.method.uppercased(),
      request.path,
      canonicalQueryString(request.query),
      canonicalHeaders,
      signedHeaders,
      payloadHash,
    ].joined(separator: "\n")
    let stringToSign = algorithm + "\n" + SHA256Hex.digest(Data(canonicalRequest.utf8))
    let key = SymmetricKey(data: Data(accessKeySecret.utf8))
    let signature = HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: key)
    return Signed(
      canonicalRequest: canonicalRequest, stringToSign: stringToSign, signedHeaders: signedHeaders,
      signature: Data(signature).hexString)
  }

  /// Parameters sorted by encoded name, `name=value` joined with `&`, RFC 3986 encoded.
  public static func canonicalQueryString(_ query: [String: String]) -> String {
    query.map { (percentEncode($0.key), percentEncode($0.value)) }
      .sorted { $0.0 < $1.0 }
      .map { "\($0.0)=\($0.1)" }
      .joined(separator: "&")
  }

  /// RFC 3986: unreserved characters (A-Z a-z 0-9 - _ . ~) stay, every other UTF-8 byte is
  /// %XX with upper-case hex. Space is %20, never `+`.
  public static func percentEncode(_ text: String) -> String {
    var result = ""
    for byte in text.utf8 {
      switch byte {
      case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
        UInt8(ascii: "."),
        UInt8(ascii: "~"):
        result.unicodeScalars.append(Unicode.Scalar(byte))
      default:
        result += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
      }
    }
    return result
  }
}

extension String {
  fileprivate func leftPadded(to width: Int) -> String {
    count >= width ? self : String(repeating: "0", count: width - count) + self
  }
}
