import Foundation

/// Step 7: `ALIBABA_CLOUD_CREDENTIALS_URI`, a local endpoint (a sidecar, an agent) that
/// answers GET with `{"Code": "Success", "AccessKeyId", "AccessKeySecret", "SecurityToken",
/// "Expiration"}`, like the ECS metadata service. HTTPS, or plain HTTP to loopback only:
/// credentials fetched in clear text from another host can be read on the way.
struct CredentialsURIProvider: CredentialProvider {
  let environment: ProcessEnvironment
  var name: String { "credentials URI" }
  static let http = HTTPOptions(
    connectTimeout: .seconds(2), timeout: .seconds(5), maxBodyBytes: 64 << 10)

  func resolve() async throws(CredentialError) -> CredentialLookup {
    guard let uri = environment["ALIBABA_CLOUD_CREDENTIALS_URI"] else {
      return .notConfigured("\(name): ALIBABA_CLOUD_CREDENTIALS_URI not set")
    }
    let shown = Self.withoutQuery(uri)
    guard let url = URL(string: uri), let scheme = url.scheme?.lowercased(), let host = url.host,
      scheme == "https" || (scheme == "http" && EndpointPolicy.isLoopback(host))
    else {
      throw .credentialsURI(
        url: shown,
        problem:
          "must be https://, or http:// to 127.0.0.1, ::1 or localhost: credentials over plain HTTP from another host can be read on the way",
        retryable: false)
    }
    let response: HTTPResponseData
    do {
      response = try await HTTPTransport.with(Self.http) {
        transport async throws(TransportFailure) in
        try await transport.send(.GET, uri, headers: [("accept", "application/json")])
      }
    } catch {
      throw .credentialsURI(
        url: shown, problem: "\(error)", retryable: STSClient.isRetryable(error))
    }
    guard response.status == 200 else {
      throw .credentialsURI(
        url: shown, problem: "answered HTTP \(response.status)", retryable: response.status >= 500)
    }
    do throws(TemporaryCredentialsDocument.Problem) {
      return .found(
        try TemporaryCredentialsDocument(response.body).credentials(origin: "\(name) \(shown)"))
    } catch {
      let problem =
        switch error {
        case .notJSON: "the answer is not a JSON object"
        case .code(let code): "Code \(code)"
        case .incomplete:
          "the answer lacks AccessKeyId, AccessKeySecret, SecurityToken or a valid Expiration"
        }
      throw .credentialsURI(url: shown, problem: problem, retryable: error.retryable)
    }
  }

  /// A URI may carry a token in its query; messages show the rest.
  static func withoutQuery(_ uri: String) -> String {
    guard var components = URLComponents(string: uri) else { return "(not a URL)" }
    let hadQuery = components.query != nil
    components.query = nil
    components.user = nil
    components.password = nil
    return (components.string ?? "(not a URL)") + (hadQuery ? "?…" : "")
  }
}
