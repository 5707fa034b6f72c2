import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOHTTP1

/// One RPC-style Alibaba Cloud API call: parameters in the query string, empty body, V3 signed.
struct AlibabaRPCCall: Sendable {
  let action: String
  let version: String
  let method: HTTPMethod
  let parameters: [String: String]
}

/// A successful answer: the JSON object and the request id.
struct AlibabaRPCAnswer: @unchecked Sendable {
  // JSONSerialization objects are immutable value trees here; never mutated after parsing.
  let object: [String: Any]
  let requestID: String?
}

/// Signs and sends RPC calls to one endpoint, and turns error answers into typed errors.
struct AlibabaAPIClient: Sendable {
  let source: String
  let endpoint: URL
  let credentials: AlibabaCredentialChain
  let clock: any SourceClock
  let pacer: CallPacer
  let transport: HTTPTransport

  /// `endpoint`: `https://host[:port]`, or `http://127.0.0.1:port` for tests.
  static func endpointURL(_ text: String, source: String) throws(SourceError) -> URL {
    let withScheme = text.contains("://") ? text : "https://" + text
    let url = try EndpointPolicy.validate(withScheme, source: source)
    guard url.path.isEmpty || url.path == "/", url.query == nil else {
      throw .invalidConfiguration(
        source: source, problem: "endpoint \(text) must not have a path or query")
    }
    return url
  }

  func call(_ call: AlibabaRPCCall, origin: Origin) async throws(SourceError) -> AlibabaRPCAnswer {
    let credentials: AlibabaCredentials
    do {
      credentials = try await self.credentials.credentials()
    } catch {
      throw .credentials(source: source, error: error)
    }
    await pacer.waitForTurn()
    // Signed after the wait, so x-acs-date is the time the request leaves.
    let headers = signedHeaders(call, credentials: credentials)
    let query = ACS3Signer.canonicalQueryString(call.parameters)
    let url = endpointBase + "/" + (query.isEmpty ? "" : "?" + query)
    let response: HTTPResponseData
    do {
      response = try await transport.send(
        call.method, url, headers: headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    } catch {
      throw transport.sourceError(error, source: source, url: url)
    }
    let object = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any]
    let requestID =
      (object?["RequestId"] as? String) ?? (object?["requestId"] as? String)
      ?? response.headers.first(name: "x-acs-request-id")
    guard (200..<300).contains(response.status) else {
      // The error class is in the body's Code; the status varies for the same code.
      if let code = (object?["Code"] as? String) ?? (object?["code"] as? String) {
        let message = (object?["Message"] as? String) ?? (object?["message"] as? String) ?? ""
        throw .alibabaAPI(
          source: source, origin: origin,
          error: AlibabaAPIError(
            action: call.action, code: code, message: message, requestID: requestID,
            httpStatus: response.status,
            retryAfter: Self.retryAfter(response.headers)))
      }
      throw .httpStatus(source: source, url: url, status: response.status, requestID: requestID)
    }
    guard let object else {
      throw .malformedDocument(
        source: source, origin: origin, problem: "\(call.action) answer is not a JSON object",
        requestID: requestID)
    }
    return AlibabaRPCAnswer(object: object, requestID: requestID)
  }

  private var endpointBase: String {
    var base = endpoint.absoluteString
    while base.hasSuffix("/") { base.removeLast() }
    return base
  }

  /// `host[:port]` as sent: the port only when it is not the scheme's default.
  private var hostHeader: String {
    let host = endpoint.host ?? ""
    let bracketed = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
    guard let port = endpoint.port else { return bracketed }
    let defaultPort = endpoint.scheme?.lowercased() == "https" ? 443 : 80
    return port == defaultPort ? bracketed : "\(bracketed):\(port)"
  }

  private func signedHeaders(_ call: AlibabaRPCCall, credentials: AlibabaCredentials) -> [String:
    String]
  {
    var headers = [
      "host": hostHeader,
      "x-acs-action": call.action,
      "x-acs-version": call.version,
      "x-acs-date": clock.now().formatted(.iso8601),
      "x-acs-signature-nonce": Self.nonce(),
      "x-acs-content-sha256": ACS3Signer.emptyBodyHash,
      "accept": "application/json",
      "user-agent": "origin-guard",
    ]
    if let token = credentials.securityToken {
      headers["x-acs-security-token"] = token
      headers["x-acs-accesskey-id"] = credentials.accessKeyID
    }
    let signed = ACS3Signer.sign(
      ACS3Signer.Request(method: call.method.rawValue, query: call.parameters, headers: headers),
      accessKeySecret: credentials.accessKeySecret)
    headers["authorization"] = signed.authorization(accessKeyID: credentials.accessKeyID)
    return headers
  }

  /// 32 random hex digits; the gateway refuses a nonce it has seen within 15 minutes.
  private static func nonce() -> String {
    var generator = SystemRandomNumberGenerator()
    return (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }.hexString
  }

  /// `x-acs-retry-after`, which Alibaba's SDKs treat as milliseconds.
  static func retryAfter(_ headers: HTTPHeaders) -> Duration? {
    guard let text = headers.first(name: "x-acs-retry-after"),
      let milliseconds = Int(text.trimmingCharacters(in: .whitespaces)), milliseconds > 0
    else { return nil }
    return .milliseconds(milliseconds)
  }
}
