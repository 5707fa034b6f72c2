import Foundation
import TestSupport
import Testing

/// `outputs:` read by the real nginx and Apache of the Debian packages, in throwaway
/// namespaces, with real HTTP requests: the include decides whose `X-Forwarded-For` is
/// believed and who gets 403, and a rotation reaches the web server through `sync` alone.
@Suite("Traffic: web server outputs")
struct TrafficWebServerOutputsTests {
  static let client = "192.0.2.50"
  static let origin = "http://\(Topology.Role.origin.ipv4)"

  /// origin-guard's configuration in the origin: a `file` source `nodes`, `extraSources`
  /// (YAML list items), and `outputs` (YAML list items).
  static func writeConfiguration(
    _ topology: Topology, ports: [Int], extraSources: String = "", outputs: String
  ) throws -> String {
    try FileManager.default.createDirectory(
      atPath: topology.path("og"), withIntermediateDirectories: true)
    return try topology.writeFile(
      "config.yaml",
      """
      ports: [\(ports.map(String.init).joined(separator: ", "))]
      state_dir: \(topology.path("state"))
      sources:
        - name: nodes
          type: file
          path: \(topology.path("list.txt"))
      \(extraSources)
      outputs:
      \(outputs)

      """)
  }

  static func writeList(_ topology: Topology, _ roles: [Topology.Role]) throws {
    try topology.writeFile("list.txt", GuardedOrigin.list(allowing: roles))
  }

  static func sync(_ topology: Topology, _ config: String) async throws -> CommandResult {
    let result = try await topology.run(
      in: .origin, [OriginGuardBinary.path, "sync", "-c", config], check: false)
    try #require(result.status == 0, "\(result.errorOutput)\(result.output)")
    #expect(!result.errorOutput.contains(" error origin-guard"), "\(result.errorOutput)")
    return result
  }

  /// YAML list items: `check` and `on_change` with this nginx's own prefix and configuration.
  static func nginxCommands(_ nginx: NginxInstance) -> String {
    let command = nginx.command.map { "\"\($0)\"" }
    return """
          check: [\((command + ["\"-t\"", "\"-q\""]).joined(separator: ", "))]
          on_change: [\((command + ["\"-s\"", "\"reload\""]).joined(separator: ", "))]
          timeout: 10s
      """
  }

  @Test(.enabled(if: WebServerBinary.nginx.testsEnabled), .timeLimit(.minutes(2)))
  func nginxBelievesForwardedForOnlyFromListedNodesAndFollowsARotation() async throws {
    try await withTopology([.cdn, .cdn2, .outsider]) { topology in
      let og = topology.path("og")
      // The firewall guards 443 only: nginx listens on 80 and 8080, where every client gets
      // to nginx, so what the test reads is nginx's decision (the Traffic suites test the
      // firewall's).
      let nginx = try await NginxInstance.start(
        in: topology, .origin, name: "nginx",
        http: """
            log_format addr '$remote_addr $status';
            server {
              listen 80;
              include \(og)/realip*.conf;
              real_ip_header X-Forwarded-For;
              access_log \(topology.path("nginx"))/realip.log addr;
            }
            # allow/deny judge the connection's address here: no realip in this block.
            server {
              listen 8080;
              include \(og)/allow*.conf;
              access_log \(topology.path("nginx"))/allow.log addr;
            }
          """)
      defer { nginx.stop() }
      let config = try Self.writeConfiguration(
        topology, ports: [443],
        outputs: """
            - name: realip
              format: nginx-realip
              path: \(og)/realip.conf
          \(Self.nginxCommands(nginx))
            - name: allow
              format: nginx-allow
              path: \(og)/allow.conf
          \(Self.nginxCommands(nginx))
          """)
      try Self.writeList(topology, [.cdn])
      _ = try await Self.sync(topology, config)
      try await nginx.waitForReloads(1)  // one for the two files

      let forged = ["X-Forwarded-For": Self.client]
      // The reload reaches new workers a moment after the signal.
      try await topology.eventually("the listed node's X-Forwarded-For believed") {
        let before = nginx.logLines("realip.log").count
        _ = try await topology.httpStatus(from: .cdn, Self.origin + "/", headers: forged)
        let line = try await nginx.logLine("realip.log", after: before)
        return (line == "\(Self.client) 200", line)
      }
      var before = nginx.logLines("realip.log").count
      #expect(
        try await topology.httpStatus(from: .outsider, Self.origin + "/", headers: forged) == "200")
      #expect(
        try await nginx.logLine("realip.log", after: before)
          == "\(Topology.Role.outsider.ipv4) 200", "a stranger's header is not believed")
      #expect(
        try await topology.httpStatus(from: .outsider, Self.origin + ":8080/", headers: forged)
          == "403")
      #expect(
        try await topology.httpStatus(from: .cdn, Self.origin + ":8080/", headers: forged) == "200")
      #expect(
        try await topology.httpStatus(from: .cdn2, Self.origin + ":8080/") == "403",
        "not listed yet")

      // The same list again: nothing rewritten, nothing reloaded.
      let written = try FileManager.default.attributesOfItem(atPath: og + "/allow.conf")
      _ = try await Self.sync(topology, config)
      let after = try FileManager.default.attributesOfItem(atPath: og + "/allow.conf")
      #expect(after[.systemFileNumber] as? Int == written[.systemFileNumber] as? Int)
      #expect(after[.modificationDate] as? Date == written[.modificationDate] as? Date)
      #expect(nginx.reloads == 1)

      // The CDN rotates: nobody touches nginx.
      try Self.writeList(topology, [.cdn2])
      _ = try await Self.sync(topology, config)
      try await nginx.waitForReloads(2)  // exactly one more
      try await topology.eventually("the old node's header no longer believed") {
        before = nginx.logLines("realip.log").count
        _ = try await topology.httpStatus(from: .cdn, Self.origin + "/", headers: forged)
        let line = try await nginx.logLine("realip.log", after: before)
        return (line == "\(Topology.Role.cdn.ipv4) 200", line)
      }
      try await topology.eventually("the old node refused") {
        let status = try await topology.httpStatus(
          from: .cdn, Self.origin + ":8080/", headers: forged)
        return (status == "403", status)
      }
      before = nginx.logLines("allow.log").count
      #expect(
        try await topology.httpStatus(from: .cdn2, Self.origin + ":8080/", headers: forged)
          == "200")
      #expect(
        try await nginx.logLine("allow.log", after: before) == "\(Topology.Role.cdn2.ipv4) 200")
    }
  }

  /// Client → CDN node → "ALB" (an nginx reverse proxy in `mid`, appending to
  /// X-Forwarded-For as Alibaba's ALB does) → origin. The firewall allows the ALB's range
  /// (a `static` source); nginx checks the CDN hop at layer 7.
  @Test(.enabled(if: WebServerBinary.nginx.testsEnabled), .timeLimit(.minutes(2)))
  func behindTheALBOnlyAListedCDNHopGetsThrough() async throws {
    try await withTopology([.cdn, .cdn2, .outsider, .mid]) { topology in
      let og = topology.path("og")
      let alb = Topology.Role.mid
      let balancer = try await NginxInstance.start(
        in: topology, alb, name: "alb",
        http: """
            server {
              listen 80;
              location / {
                proxy_pass \(Self.origin):80;
                proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
              }
            }
          """)
      defer { balancer.stop() }
      let nginx = try await NginxInstance.start(
        in: topology, .origin, name: "nginx",
        http: """
            log_format cdn '$remote_addr $http_ali_cdn_real_ip $status';
            server {
              listen 80;
              include \(og)/alb-realip*.conf;
              real_ip_header X-Forwarded-For;
              include \(og)/cdn-allow*.conf;
              access_log \(topology.path("nginx"))/access.log cdn;
            }
          """)
      defer { nginx.stop() }
      let config = try Self.writeConfiguration(
        topology, ports: [80],
        extraSources: """
            - name: alb
              type: static
              addresses: [\(GuardedOrigin.midNetwork[0])]
          """,
        outputs: """
            - name: alb-realip
              format: nginx-realip
              path: \(og)/alb-realip.conf
              sources: [alb]
          \(Self.nginxCommands(nginx))
            - name: cdn-allow
              format: nginx-allow
              path: \(og)/cdn-allow.conf
              sources: [nodes, alb]
          \(Self.nginxCommands(nginx))
          """)
      try Self.writeList(topology, [.cdn])
      _ = try await Self.sync(topology, config)
      try await nginx.waitForReloads(1)
      let realip = try String(contentsOfFile: og + "/alb-realip.conf", encoding: .utf8)
      #expect(realip.contains("set_real_ip_from \(GuardedOrigin.midNetwork[0]);"))
      #expect(!realip.contains(Topology.Role.cdn.ipv4), "\(realip)")

      let viaALB = "http://\(alb.ipv4)/"
      let headers = ["X-Forwarded-For": Self.client, "Ali-Cdn-Real-Ip": Self.client]
      try await topology.eventually("the listed CDN hop let through") {
        let status = try await topology.httpStatus(from: .cdn, viaALB, headers: headers)
        return (status == "200", status)
      }
      let before = nginx.logLines("access.log").count
      #expect(try await topology.httpStatus(from: .cdn, viaALB, headers: headers) == "200")
      #expect(
        try await nginx.logLine("access.log", after: before)
          == "\(Topology.Role.cdn.ipv4) \(Self.client) 200",
        "realip recovers the CDN hop; Ali-Cdn-Real-Ip carries the client for the log")
      #expect(
        try await topology.httpStatus(from: .cdn2, viaALB, headers: headers) == "403",
        "a CDN hop that is not listed")
      #expect(
        try await topology.httpStatus(
          from: .outsider, viaALB, headers: ["X-Forwarded-For": Topology.Role.cdn.ipv4]) == "403",
        "a stranger claiming to be the listed node: the ALB appends the stranger's own address")
      #expect(
        try await topology.httpStatus(from: .outsider, Self.origin + "/") == "000",
        "straight to the origin: the firewall drops it")
      #expect(
        try await topology.httpStatus(from: alb, Self.origin + "/") == "200",
        "the ALB's own health check, without X-Forwarded-For")
    }
  }

  @Test(.enabled(if: WebServerBinary.apache.testsEnabled), .timeLimit(.minutes(2)))
  func apacheBelievesForwardedForOnlyFromListedNodes() async throws {
    try await withTopology([.cdn, .cdn2, .outsider]) { topology in
      let og = topology.path("og")
      try FileManager.default.createDirectory(atPath: og, withIntermediateDirectories: true)
      let directory = topology.path("apache")
      let apache = try await ApacheInstance.start(
        in: topology, .origin, name: "apache",
        configuration: """
          Listen 80
          LogFormat "%a %{c}a %>s" og
          CustomLog \(directory)/access.log og
          RemoteIPHeader X-Forwarded-For
          IncludeOptional \(og)/remoteip*.conf
          <Location "/guarded/">
            IncludeOptional \(og)/require*.conf
          </Location>
          """)
      defer { apache.stop() }
      let command = apache.command.map { "\"\($0)\"" }.joined(separator: ", ")
      let commands = """
            check: [\(command), "-t"]
            on_change: [\(command), "-k", "graceful"]
        """
      let config = try Self.writeConfiguration(
        topology, ports: [443],
        outputs: """
            - name: remoteip
              format: apache-remoteip
              path: \(og)/remoteip.conf
          \(commands)
            - name: require
              format: apache-require
              path: \(og)/require.conf
          \(commands)
          """)
      try Self.writeList(topology, [.cdn])
      let started = apache.generations
      _ = try await Self.sync(topology, config)
      try await topology.eventually("the graceful restart done") {
        (apache.generations > started, "\(apache.logLines("error.log").suffix(4))")
      }

      let forged = ["X-Forwarded-For": Self.client]
      let page = Self.origin + "/index.html"
      let guarded = Self.origin + "/guarded/index.html"
      try await topology.eventually("the listed node's X-Forwarded-For believed") {
        let before = apache.logLines("access.log").count
        _ = try await topology.httpStatus(from: .cdn, page, headers: forged)
        let line = try await apache.logLine("access.log", after: before)
        return (line == "\(Self.client) \(Topology.Role.cdn.ipv4) 200", line)
      }
      let before = apache.logLines("access.log").count
      let outsider = try await topology.httpStatus(from: .outsider, page, headers: forged)
      let line = try await apache.logLine("access.log", after: before)
      #expect(outsider == "200")
      #expect(line == "\(Topology.Role.outsider.ipv4) \(Topology.Role.outsider.ipv4) 200")
      // Require ip checks the address mod_remoteip recovered: the client the node forwards.
      let forwarded = try await topology.httpStatus(from: .cdn, guarded, headers: forged)
      #expect(forwarded == "403")
      let direct = try await topology.httpStatus(from: .cdn, guarded)
      #expect(direct == "200")
      let stranger = try await topology.httpStatus(from: .outsider, guarded, headers: forged)
      #expect(stranger == "403")
    }
  }
}
