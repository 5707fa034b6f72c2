import AddressSources
import Netfilter
import Testing

@testable import OriginGuard

@Suite("Configuration loader: valid files")
struct ConfigurationLoaderTests {
  static let minimal = """
    table: origin_guard            # our table in family inet; nothing else is ever touched
    ports: [80, 443]
    protocols: [tcp]
    hook: input                    # or prerouting: also protects Docker-published ports
    sources:
      - name: cdn
        type: alibaba-cdn
        domains: [www.example.com, static.example.com]
      - name: health-checks
        type: static
        addresses: [100.64.0.0/10]
      - name: extra
        type: file
        path: /etc/origin-guard/extra.txt
    guards:
      max_shrink_percent: 30
      min_entries: 1
    state_dir: /var/lib/origin-guard
    metrics_file: /var/lib/prometheus/node-exporter/origin_guard.prom
    """

  @Test func minimalFile() throws {
    let configuration = try ConfigurationLoader.parse(yaml: Self.minimal, path: "config.yaml")
    #expect(configuration.ruleset.tableName == "origin_guard")
    #expect(configuration.ruleset.ports == [80, 443])
    #expect(configuration.ruleset.protocols == [.tcp])
    #expect(configuration.ruleset.hookMode == .input)
    #expect(
      configuration.sources == [
        .alibabaCDN(
          AlibabaCDNSourceConfig(name: "cdn", domains: ["www.example.com", "static.example.com"])),
        .static(StaticSourceConfig(name: "health-checks", prefixes: ["100.64.0.0/10"])),
        .file(FileSourceConfig(name: "extra", path: "/etc/origin-guard/extra.txt")),
      ])
    #expect(configuration.guards == GuardSettings(minEntries: 1, maxShrinkPercent: 30))
    #expect(configuration.stateDirectory == "/var/lib/origin-guard")
    #expect(configuration.metricsFile == "/var/lib/prometheus/node-exporter/origin_guard.prom")
    #expect(configuration.path == "config.yaml")
  }

  @Test func defaults() throws {
    let configuration = try ConfigurationLoader.parse(yaml: oneStaticSource, path: "config.yaml")
    #expect(configuration.ruleset == GuardRuleset())
    #expect(configuration.guards == GuardSettings())
    #expect(configuration.maxStale == .seconds(7 * 86_400))
    #expect(configuration.stateDirectory == "/var/lib/origin-guard")
    #expect(configuration.metricsFile == nil)
    #expect(configuration.interval == .seconds(300))
    #expect(configuration.jitter == .seconds(30))
    #expect(configuration.logLevel == .info)
    #expect(configuration.logFormat == .text)
  }

  static let full = """
    table: edge_guard
    ipv4_set: cdn_v4
    ipv6_set: cdn_v6
    guard_chain: cdn_guard
    base_chain: cdn_pre
    ports: [443, 8443]
    protocols: [tcp, udp]
    hook: prerouting
    priority: -160
    accept_established: false
    drop_log:
      prefix: "edge drop: "
      rate: 5/second
      burst: 20
    guards:
      min_entries: 10
      max_entries: 5000
      max_shrink_percent: 12.5
      min_prefix_length_v4: 16
      min_prefix_length_v6: 40
    max_stale: 2d
    state_dir: /srv/origin-guard
    metrics_file: /srv/metrics/origin_guard.prom
    interval: 1h30m
    jitter: 250ms
    log_level: debug
    log_format: json
    sources:
      - name: static-v4
        type: static
        addresses: [100.64.0.0/10, "2001:db8::/48"]
        on_invalid_entry: skip
        min_prefix_length_v4: 10
        min_prefix_length_v6: 48
      - name: local-list
        type: file
        path: ~/lists/extra.txt
      - name: cloudflare
        type: url
        preset: cloudflare
        connect_timeout: 2s
        timeout: 20s
        max_body_bytes: 65536
        retry_max_attempts: 2
        retry_initial_delay: 100ms
        retry_max_delay: 1s
        retry_max_total: 10s
      - name: mirror
        type: url
        url: http://127.0.0.1:8080/list.json
        format: json
        select:
          - prefixes[].ip_prefix
          - ipv6_prefixes[].ipv6_prefix
      - name: two-documents
        type: url
        urls:
          - url: https://example.com/v4.txt
            format: text
          - url: https://example.com/list.json
            select: addresses
      - name: cdn
        type: alibaba-cdn
        domains: [www.example.com, "*.img.example.com"]
        endpoint: https://cdn.ap-southeast-1.aliyuncs.com
        concurrency: 8
        max_calls_per_second: 5
        credentials_file: /etc/origin-guard/alibaba.ini
        credentials_profile: cdn
        use_environment: false
        use_cli_profile: true
        cli_profile: ops
        use_credentials_ini: false
        use_ecs_ram_role: true
        ecs_role_name: origin-guard
        metadata_endpoint: http://100.100.100.200
        connect_timeout: 3s
        timeout: 15s
        max_body_bytes: 1048576
        retry_max_attempts: 4
        retry_initial_delay: 1s
        retry_max_delay: 10s
        retry_max_total: 1m
      - name: esa
        type: alibaba-esa
        site_ids: [123456789, "987654321"]
        region: ap-southeast-1
        endpoint: https://esa.example.internal
        list: latest
        max_calls_per_second: 2.5
        retain_removed: 12h
        access_key_id: LTAI5tExampleKeyId
        access_key_secret: not-a-real-secret
        security_token: not-a-real-token
        on_invalid_entry: fail
      - name: google-lb
        type: static
        preset: google-cloud-load-balancing
      - name: edgeone
        type: url
        preset: edgeone
        area: mainland-china
      - name: cross-account
        type: alibaba-cdn
        domains: [www.example.com]
        use_oidc: false
        use_credentials_uri: false
        role_arn: acs:ram::1234567890:role/origin-guard-reader
        role_session_name: edge-host-1
        external_id: origin-guard-prod
        role_duration: 2h
        role_policy: '{"Version": "1"}'
        sts_endpoint: https://sts-vpc.cn-hangzhou.aliyuncs.com
      - name: esa-confirming
        type: alibaba-esa
        site_ids: [5]
        confirm_after: 30m
    """

  @Test func fullFileWithEveryKey() throws {
    let configuration = try ConfigurationLoader.parse(yaml: Self.full, path: "config.yaml")
    var ruleset = GuardRuleset()
    ruleset.tableName = "edge_guard"
    ruleset.ipv4SetName = "cdn_v4"
    ruleset.ipv6SetName = "cdn_v6"
    ruleset.guardChainName = "cdn_guard"
    ruleset.baseChainName = "cdn_pre"
    ruleset.ports = [443, 8443]
    ruleset.protocols = [.tcp, .udp]
    ruleset.hookMode = .prerouting
    ruleset.priority = -160
    ruleset.acceptEstablishedRelated = false
    ruleset.dropLog = GuardRuleset.DropLog(
      prefix: "edge drop: ", limit: RateLimit(rate: 5, periodSeconds: 1, burst: 20))
    #expect(configuration.ruleset == ruleset)
    #expect(
      configuration.guards
        == GuardSettings(
          minEntries: 10, maxEntries: 5000, maxShrinkPercent: 12.5, minPrefixLengthV4: 16,
          minPrefixLengthV6: 40))
    #expect(configuration.maxStale == .seconds(2 * 86_400))
    #expect(configuration.stateDirectory == "/srv/origin-guard")
    #expect(configuration.metricsFile == "/srv/metrics/origin_guard.prom")
    #expect(configuration.interval == .seconds(5400))
    #expect(configuration.jitter == .milliseconds(250))
    #expect(configuration.logLevel == .debug)
    #expect(configuration.logFormat == .json)

    let expected: [SourceConfig] = [
      .static(
        StaticSourceConfig(
          name: "static-v4", prefixes: ["100.64.0.0/10", "2001:db8::/48"],
          policy: EntryPolicy(
            onInvalidEntry: .skip, minimumIPv4PrefixLength: 10, minimumIPv6PrefixLength: 48))),
      .file(FileSourceConfig(name: "local-list", path: "~/lists/extra.txt")),
      .url(
        URLSourceConfig(
          name: "cloudflare", preset: .cloudflare,
          http: HTTPOptions(
            connectTimeout: .seconds(2), timeout: .seconds(20), maxBodyBytes: 65536),
          retry: RetryPolicy(
            maxAttempts: 2, initialDelay: .milliseconds(100), maxDelay: .seconds(1),
            maxTotal: .seconds(10)))),
      .url(
        URLSourceConfig(
          name: "mirror",
          documents: [
            URLDocument(
              url: "http://127.0.0.1:8080/list.json", format: .json,
              selectors: ["prefixes[].ip_prefix", "ipv6_prefixes[].ipv6_prefix"])
          ])),
      .url(
        URLSourceConfig(
          name: "two-documents",
          documents: [
            URLDocument(url: "https://example.com/v4.txt", format: .text),
            URLDocument(url: "https://example.com/list.json", selectors: ["addresses"]),
          ])),
      .alibabaCDN(
        AlibabaCDNSourceConfig(
          name: "cdn", domains: ["www.example.com", "*.img.example.com"],
          endpoint: "https://cdn.ap-southeast-1.aliyuncs.com",
          credentials: AlibabaCredentialsConfig(
            file: "/etc/origin-guard/alibaba.ini", fileProfile: "cdn", useEnvironment: false,
            useCLIProfile: true, cliProfile: "ops", useCredentialsINI: false, useECSRAMRole: true,
            ecsRoleName: "origin-guard", metadataEndpoint: "http://100.100.100.200"),
          retry: RetryPolicy(
            maxAttempts: 4, initialDelay: .seconds(1), maxDelay: .seconds(10),
            maxTotal: .seconds(60)),
          http: HTTPOptions(
            connectTimeout: .seconds(3), timeout: .seconds(15), maxBodyBytes: 1_048_576),
          concurrency: 8, maxCallsPerSecond: 5)),
      .alibabaESA(
        AlibabaESASourceConfig(
          name: "esa", siteIDs: ["123456789", "987654321"], region: "ap-southeast-1",
          endpoint: "https://esa.example.internal", list: .latest,
          credentials: AlibabaCredentialsConfig(
            inline: AlibabaCredentials(
              accessKeyID: "LTAI5tExampleKeyId", accessKeySecret: "not-a-real-secret",
              securityToken: "not-a-real-token")),
          maxCallsPerSecond: 2.5)),
      .static(
        StaticSourceConfig(
          name: "google-lb", prefixes: StaticPreset.googleCloudLoadBalancing.prefixes)),
      .url(
        URLSourceConfig(
          name: "edgeone", documents: URLPreset.edgeone.documents(area: .mainlandChina))),
      .alibabaCDN(
        AlibabaCDNSourceConfig(
          name: "cross-account", domains: ["www.example.com"],
          credentials: AlibabaCredentialsConfig(
            useOIDC: false, useCredentialsURI: false,
            assumedRole: AssumedRole(
              arn: "acs:ram::1234567890:role/origin-guard-reader", sessionName: "edge-host-1",
              externalID: "origin-guard-prod", policy: #"{"Version": "1"}"#),
            stsDurationSeconds: 7200, stsEndpoint: "https://sts-vpc.cn-hangzhou.aliyuncs.com"))),
      .alibabaESA(
        {
          var config = AlibabaESASourceConfig(name: "esa-confirming", siteIDs: ["5"])
          config.confirmAfter = .seconds(1800)
          return config
        }()),
    ]
    #expect(configuration.sources.count == expected.count)
    for (read, want) in zip(configuration.sources, expected) {
      #expect(read == want)
    }
    #expect(configuration.retainRemoved == ["esa": .seconds(43_200)])
    #expect(configuration.retainRemoved(for: configuration.sources[0]) == .zero)
    #expect(configuration.retainRemoved(for: configuration.sources[2]) == .seconds(86_400))
  }

  /// Every key the catalog lists for a source type is one the reader accepts for it: the full
  /// file above uses each of them at least once without an unknown-key report.
  @Test func fullFileUsesEveryCatalogKey() throws {
    for kind in SourceKind.allCases {
      for key in SourceKeyCatalog.keys(of: kind) {
        #expect(Self.full.contains("\(key):"), "\(kind) key \(key) not exercised")
      }
    }
  }

  @Test func durations() throws {
    for (text, expected) in [
      ("30s", Duration.seconds(30)), ("5m", .seconds(300)), ("1h30m", .seconds(5400)),
      ("7d", .seconds(604_800)), ("250ms", .milliseconds(250)), ("45", .seconds(45)),
      ("1d2h3m4s5ms", .milliseconds(93_784_005)), ("0", .zero),
    ] {
      #expect(try DurationSyntax.parse(text) == expected, "\(text)")
      #expect(try DurationSyntax.parse(DurationSyntax.format(expected)) == expected)
    }
    for text in ["", "5x", "-5m", "30m1h", "1h1h", "m", "1.5s", "9999999999999999d"] {
      #expect(throws: DurationSyntax.Error.self, "\(text)") { try DurationSyntax.parse(text) }
    }
    #expect(DurationSyntax.format(.seconds(5400)) == "1h30m")
    #expect(DurationSyntax.format(.milliseconds(250)) == "250ms")
  }

  @Test func plainIntegerDurationsAreSeconds() throws {
    let configuration = try ConfigurationLoader.parse(
      yaml: "interval: 600\njitter: 0\nmax_stale: 0\n" + oneStaticSource, path: "config.yaml")
    #expect(configuration.interval == .seconds(600))
    #expect(configuration.jitter == .zero)
    #expect(configuration.maxStale == .zero)
  }

  @Test func dropLogForms() throws {
    let off = try ConfigurationLoader.parse(yaml: "drop_log: false\n" + oneStaticSource, path: "c")
    #expect(off.ruleset.dropLog == nil)
    let on = try ConfigurationLoader.parse(yaml: "drop_log: true\n" + oneStaticSource, path: "c")
    #expect(on.ruleset.dropLog == GuardRuleset.DropLog())
    let rate = try ConfigurationLoader.parse(
      yaml: "drop_log: {rate: 10/minute}\n" + oneStaticSource, path: "c")
    #expect(rate.ruleset.dropLog?.limit == RateLimit(rate: 10, periodSeconds: 60))
    #expect(rate.ruleset.dropLog?.prefix == GuardRuleset.DropLog().prefix)
  }

  @Test func keySuggestions() {
    let top = ["ports", "protocols", "interval", "sources", "max_stale"]
    #expect(KeySuggestion.closest(to: "prots", among: top) == "ports")
    #expect(KeySuggestion.closest(to: "intervall", among: top) == "interval")
    #expect(KeySuggestion.closest(to: "max-stale", among: top) == "max_stale")
    #expect(KeySuggestion.closest(to: "source", among: top) == "sources")
    #expect(KeySuggestion.closest(to: "foo", among: top) == nil)
    #expect(KeySuggestion.editDistance("ab", "ba") == 1)
  }
}
