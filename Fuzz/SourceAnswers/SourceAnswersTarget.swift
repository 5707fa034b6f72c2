import AddressSources
import Foundation
import Logging
import OriginGuard

/// What `url`, `alibaba-cdn` and `alibaba-esa` sources make of whatever a server answers, over
/// a real HTTP exchange with the real source code. The first input byte picks the source and
/// the HTTP status, the rest is the body. A source returns a non-empty list or a typed error
/// whose message names the source and never shows the credentials.
enum SourceAnswersTarget {
  static let statuses = [200, 200, 200, 200, 400, 403, 404, 500, 503, 304, 302]
  static let secret = "fuzz-secret-Jq8PzK"
  static let token = "CAIS-fuzz-token-V7nX"

  static func test(_ bytes: UnsafeRawBufferPointer) {
    guard let first = bytes.first else { return }
    let server = OneShotServer(
      status: statuses[Int(first / 4) % statuses.count], body: Array(bytes.dropFirst()))
    defer { server.stop() }
    let yaml = configuration(kind: Int(first % 4), endpoint: "http://127.0.0.1:\(server.port)")
    let source: any AddressSource
    do {
      let loaded = try ConfigurationLoader.parse(yaml: yaml, path: "fuzz.yaml", fileMode: 0o600)
      source = makeSource(loaded.sources[0], context: context)
    } catch {
      fatalError("fuzz configuration does not load: \(error)")
    }
    let outcome = BlockingTask.run { () async -> Result<SourceResult, SourceError> in
      do throws(SourceError) {
        return .success(try await source.fetch())
      } catch {
        return .failure(error)
      }
    }
    switch outcome {
    case .success(let result):
      precondition(!result.entries.isEmpty, "a source returned an empty list")
    case .failure(let error):
      let message = error.description
      precondition(message.contains("fuzz"), "error without the source's name: \(message)")
      precondition(!message.contains(secret) && !message.contains(token), "secret in \(message)")
    }
  }

  static func configuration(kind: Int, endpoint: String) -> String {
    let common = """
          retry_max_attempts: 1
          timeout: 2s
          connect_timeout: 1s
      """
    let credentials = """
          access_key_id: STS.LTAI5tFuzzKey
          access_key_secret: \(secret)
          security_token: \(token)
      """
    switch kind {
    case 0:
      return "sources:\n  - name: fuzz\n    type: url\n    url: \(endpoint)/list\n\(common)"
    case 1:
      return """
        sources:
          - name: fuzz
            type: url
            url: \(endpoint)/ranges.json
            format: json
            select:
              - prefixes[service=ORIGIN].ip_prefix
              - addresses
        \(common)
        """
    case 2:
      return """
        sources:
          - name: fuzz
            type: alibaba-cdn
            domains: [www.example.com]
            endpoint: \(endpoint)
        \(credentials)
        \(common)
        """
    default:
      return """
        sources:
          - name: fuzz
            type: alibaba-esa
            site_ids: [123456789]
            endpoint: \(endpoint)
            list: latest
        \(credentials)
        \(common)
        """
    }
  }

  static let context: SourceContext = {
    var logger = Logger(label: "fuzz")
    logger.logLevel = .critical
    return SourceContext(
      logger: logger, environment: ProcessEnvironment(variables: [:], homeDirectory: "/nonexistent")
    )
  }()

  /// Seeds: a first byte (source and status) and a body each.
  static let seeds: [[UInt8]] = {
    func seed(kind: UInt8, status: Int, _ body: String) -> [UInt8] {
      [UInt8(statuses.firstIndex(of: status)!) * 4 + kind] + Array(body.utf8)
    }
    return [
      seed(kind: 0, status: 200, "192.0.2.0/24\n2001:db8::/48\n# comment\n"),
      seed(kind: 0, status: 200, "[\"192.0.2.0/24\", \"198.51.100.0/24\"]"),
      seed(kind: 0, status: 500, "oops"),
      seed(
        kind: 1, status: 200,
        #"{"prefixes":[{"ip_prefix":"3.5.140.0/22","service":"ORIGIN"}],"addresses":["192.0.2.1"]}"#
      ),
      seed(
        kind: 2, status: 200,
        #"{"DomainName":"www.example.com","RequestId":"16A9","Vips":{"Vip":["1.1.1.1/25","2001:db8::1"]}}"#
      ),
      seed(kind: 2, status: 200, #"{"RequestId":"16A9","Vips":["192.0.2.7"]}"#),
      seed(
        kind: 2, status: 400,
        #"{"RequestId":"E5D8","HostId":"cdn.aliyuncs.com","Code":"Throttling.User","Message":"denied"}"#
      ),
      seed(
        kind: 2, status: 403,
        #"{"RequestId":"E5D8","Code":"InvalidSecurityToken.Expired","Message":"Specified SecurityToken is expired."}"#
      ),
      seed(
        kind: 3, status: 200,
        #"{"RequestId":"CB1A","SiteId":123456789,"OriginProtection":"on","NeedUpdate":true,"CurrentIPWhitelist":{"IPv4":["192.0.2.0/24"],"IPv6":[]},"LatestIPWhitelist":{"IPv4":["192.0.2.0/24","198.51.100.0/24"],"IPv6":["2001:db8::/48"]}}"#
      ),
      seed(kind: 3, status: 404, #"{"RequestId":"CB1A","Code":"SiteNotFound","Message":"no"}"#),
    ]
  }()

  static let dictionary = [
    "\"Vips\"", "\"Vip\"", "\"DomainName\"", "\"RequestId\"", "\"Code\"", "\"Message\"",
    "\"LatestIPWhitelist\"", "\"CurrentIPWhitelist\"", "\"IPv4\"", "\"IPv6\"", "\"NeedUpdate\"",
    "\"OriginProtection\"", "\"off\"", "\"www.example.com\"", "\"prefixes\"", "\"ip_prefix\"",
    "\"service\"", "\"ORIGIN\"", "\"addresses\"", "null", "[]", "{}", "\"192.0.2.0/24\"",
    "\"::ffff:1.2.3.4\"", "\"0.0.0.0/0\"", "Throttling", "InvalidTimeStamp.Expired",
  ]
}

/// Runs async work to completion from synchronous code (libFuzzer's callback is synchronous).
enum BlockingTask {
  static func run<T: Sendable>(_ work: @escaping @Sendable () async -> T) -> T {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task {
      box.value = await work()
      done.signal()
    }
    done.wait()
    return box.value!
  }
}

/// Written by the task before it signals, read after the wait: no concurrent access.
private final class ResultBox<T>: @unchecked Sendable {
  var value: T?
}
