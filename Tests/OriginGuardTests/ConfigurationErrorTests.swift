import Testing

@testable import OriginGuard

/// Every class of mistake, with the exact message an operator sees.
@Suite("Configuration loader: errors")
struct ConfigurationErrorTests {
  struct Case: CustomTestStringConvertible, Sendable {
    let name: String
    let yaml: String
    let problems: [String]
    var testDescription: String { name }
  }

  static let cases: [Case] = [
    Case(
      name: "unknown key with a suggestion",
      yaml: "prots: [80]\n" + oneStaticSource,
      problems: [#"config.yaml:1: prots: unknown key; did you mean "ports"?"#]),
    Case(
      name: "unknown key of another source type",
      yaml: """
        sources:
          - name: hc
            type: static
            addresses: [100.64.0.0/10]
            domains: [www.example.com]
        """,
      problems: [
        "config.yaml:5: sources[0].domains: unknown key for a static source; it belongs to alibaba-cdn sources"
      ]),
    Case(
      name: "misplaced keys at the top level",
      yaml: "max_shrink_percent: 20\ndomains: [www.example.com]\n" + oneStaticSource,
      problems: [
        "config.yaml:1: max_shrink_percent: unknown key; it belongs to the guards: mapping",
        "config.yaml:2: domains: unknown key; it belongs to a source under sources:",
      ]),
    Case(
      name: "unknown key without a near miss",
      yaml: oneStaticSource + "\nguards:\n  colour: blue\n",
      problems: [
        "config.yaml:6: guards.colour: unknown key for guards; valid keys here: min_entries, max_entries, max_shrink_percent, min_prefix_length_v4, min_prefix_length_v6"
      ]),
    Case(
      name: "wrong type",
      yaml: """
        sources:
          - name: cdn
            type: alibaba-cdn
            domains:
              www: example.com
        """,
      problems: [
        "config.yaml:5: sources[0].domains: expected a list of strings, found a mapping"
      ]),
    Case(
      name: "wrong scalar type",
      yaml: "accept_established: yes\npriority: high\nprotocols: tcp\n" + oneStaticSource,
      problems: [
        #"config.yaml:1: accept_established: expected true or false, found the string "yes""#,
        #"config.yaml:2: priority: expected an integer, found the string "high""#,
        #"config.yaml:3: protocols: expected a list of protocols (tcp, udp), found the string "tcp""#,
      ]),
    Case(
      name: "missing sources",
      yaml: "table: origin_guard\n",
      problems: [
        "config.yaml:1: sources: missing required key; list where the allow-list comes from, e.g. a static or alibaba-cdn source"
      ]),
    Case(
      name: "empty file",
      yaml: "# nothing yet\n",
      problems: [
        "config.yaml: sources: the file is empty; it needs at least a sources: list"
      ]),
    Case(
      name: "missing keys of a source",
      yaml: """
        sources:
          - type: alibaba-cdn
          - name: list
            type: url
        """,
      problems: [
        "config.yaml:2: sources[0].name: missing required key; every source needs a name, e.g. name: cdn",
        "config.yaml:2: sources[0].domains: missing required key; list the accelerated domains, e.g. [www.example.com]",
        "config.yaml:3: sources[1].url: missing required key; a url source needs one of preset, url or urls",
      ]),
    Case(
      name: "duplicate top-level key",
      yaml: "ports: [80]\n" + oneStaticSource + "\nports: [443]\n",
      problems: [
        "config.yaml:6: ports: duplicate key (first at line 1); YAML would silently keep only one, so remove one"
      ]),
    Case(
      name: "duplicate key in a source, three times, quoted",
      yaml: """
        sources:
          - name: hc
            type: static
            "type": file
            addresses: [100.64.0.0/10]
            type: url
        """,
      problems: [
        "config.yaml:4: sources[0].type: duplicate key (first at line 3); YAML would silently keep only one, so remove one",
        "config.yaml:6: sources[0].type: duplicate key (first at line 3); YAML would silently keep only one, so remove one",
      ]),
    Case(
      name: "duplicate keys in two mappings, one of them flow style",
      yaml: """
        guards: {min_entries: 1, min_entries: 2}
        sources:
          - name: a
            type: static
            addresses: [192.0.2.0/24]
            name: b
        """,
      problems: [
        "config.yaml:1: guards.min_entries: duplicate key (first at line 1); YAML would silently keep only one, so remove one",
        "config.yaml:6: sources[0].name: duplicate key (first at line 3); YAML would silently keep only one, so remove one",
      ]),
    Case(
      name: "alibaba limits: concurrency and metadata service",
      yaml: """
        sources:
          - name: cdn
            type: alibaba-cdn
            domains: [www.example.com]
            concurrency: 11
            metadata_endpoint: http://169.254.169.254
        """,
      problems: [
        "config.yaml:5: sources[0].concurrency: 11 is out of range; use 1…10",
        #"config.yaml:6: sources[0].metadata_endpoint: "http://169.254.169.254" is not the ECS metadata service; use http://100.100.100.200 (or a loopback address for tests)"#,
      ]),
    Case(
      name: "bad ports",
      yaml: "ports: [80, 0, 70000, 80, http]\n" + oneStaticSource,
      problems: [
        "config.yaml:1: ports[1]: 0 is not a port; use 1…65535",
        "config.yaml:1: ports[2]: 70000 is not a port; use 1…65535",
        "config.yaml:1: ports[3]: port 80 is already listed as ports[0]",
        #"config.yaml:1: ports[4]: expected a port number, found the string "http""#,
      ]),
    Case(
      name: "empty ports",
      yaml: "ports: []\n" + oneStaticSource,
      problems: ["config.yaml:1: ports: list at least one port; without ports nothing is guarded"]),
    Case(
      name: "unknown protocol",
      yaml: "protocols: [tcp, sctp]\n" + oneStaticSource,
      problems: [#"config.yaml:1: protocols[1]: "sctp" is not a protocol; use tcp or udp"#]),
    Case(
      name: "bad durations",
      yaml: "interval: 5x\nmax_stale: -1d\njitter: 30m1h\n" + oneStaticSource,
      problems: [
        #"config.yaml:1: interval: "5x" is not a duration (unknown unit "x"); write e.g. 30s, 5m, 1h30m, 7d, 250ms or a number of seconds"#,
        #"config.yaml:2: max_stale: "-1d" is not a duration (negative durations are not allowed); write e.g. 30s, 5m, 1h30m, 7d, 250ms or a number of seconds"#,
        #"config.yaml:3: jitter: "30m1h" is not a duration (units must go from largest to smallest, each once); write e.g. 30s, 5m, 1h30m, 7d, 250ms or a number of seconds"#,
      ]),
    Case(
      name: "negative plain-number duration",
      yaml: "max_stale: -60\n" + oneStaticSource,
      problems: [
        #"config.yaml:1: max_stale: "-60" is not a duration (negative durations are not allowed); write e.g. 30s, 5m, 1h30m, 7d, 250ms or a number of seconds"#
      ]),
    Case(
      name: "bad address with its column",
      yaml: """
        sources:
          - name: hc
            type: static
            addresses:
              - 100.64.0.0/10
              - 100.64.300.0/24
              - 0.0.0.0/0
        """,
      problems: [
        #"config.yaml:6: sources[0].addresses[1]: invalid address "100.64.300.0/24" at column 8: octet 300 is greater than 255"#,
        "config.yaml:7: sources[0].addresses[2]: 0.0.0.0/0 is broader than /8, the source's min_prefix_length_v4; a list this broad is almost certainly a mistake",
      ]),
    Case(
      name: "bad hook",
      yaml: "hook: forward\n" + oneStaticSource,
      problems: [#"config.yaml:1: hook: "forward" is not a hook; use input or prerouting"#]),
    Case(
      name: "misspelt enum value",
      yaml: "hook: inptu\n" + oneStaticSource,
      problems: [
        #"config.yaml:1: hook: "inptu" is not a hook; use input or prerouting (did you mean "input"?)"#
      ]),
    Case(
      name: "duplicate source name",
      yaml: """
        sources:
          - name: cdn
            type: static
            addresses: [192.0.2.0/24]
          - name: cdn
            type: file
            path: /etc/origin-guard/extra.txt
        """,
      problems: [
        #"config.yaml:5: sources[1].name: source name "cdn" is already used by sources[0] (line 2); every source needs its own name"#
      ]),
    Case(
      name: "plain-HTTP endpoint that is not loopback",
      yaml: """
        sources:
          - name: list
            type: url
            url: http://lists.example.com/ips.txt
          - name: cdn
            type: alibaba-cdn
            domains: [www.example.com]
            endpoint: http://cdn.aliyuncs.com
        """,
      problems: [
        "config.yaml:4: sources[0].url: http://lists.example.com/ips.txt is plain HTTP: anyone on the path could rewrite what it returns; use https:// (plain http:// is allowed only to 127.0.0.1, ::1 and localhost)",
        "config.yaml:8: sources[1].endpoint: http://cdn.aliyuncs.com is plain HTTP: anyone on the path could rewrite what it returns; use https:// (plain http:// is allowed only to 127.0.0.1, ::1 and localhost)",
      ]),
    Case(
      name: "unknown source type",
      yaml: """
        sources:
          - name: cdn
            type: alibaba
            domains: [www.example.com]
        """,
      problems: [
        #"config.yaml:3: sources[0].type: "alibaba" is not a source type; use static, file, url, alibaba-cdn or alibaba-esa"#
      ]),
    Case(
      name: "url alternatives and selectors",
      yaml: """
        sources:
          - name: list
            type: url
            preset: cloudflare
            url: https://example.com/list.json
          - name: other
            type: url
            url: https://example.com/list.txt
            format: text
            select: addresses
          - name: third
            type: url
            url: https://example.com/list.json
            select: "a..b"
        """,
      problems: [
        "config.yaml:5: sources[0].url: preset and url are alternatives; keep one of them",
        "config.yaml:10: sources[1].select: select applies to JSON documents; this one has format: text",
        #"config.yaml:14: sources[2].select: invalid selector "a..b": empty segment"#,
      ]),
    Case(
      name: "preset options",
      yaml: """
        sources:
          - name: eo
            type: url
            preset: edgeone
            area: europe
          - name: cf
            type: url
            preset: cloudflare
            area: global
          - name: list
            type: url
            url: https://example.com/list.txt
            area: global
          - name: google
            type: static
            preset: google-cloud
          - name: both
            type: static
            preset: google-cloud-load-balancing
            addresses: [192.0.2.0/24]
          - name: none
            type: static
        """,
      problems: [
        #"config.yaml:5: sources[0].area: "europe" is not an EdgeOne area; use global, mainland-china or overseas"#,
        "config.yaml:9: sources[1].area: area belongs with preset: edgeone; preset cloudflare has no areas",
        "config.yaml:13: sources[2].area: area belongs with preset: edgeone; with url it has no effect",
        #"config.yaml:16: sources[3].preset: "google-cloud" is not a static preset; use google-cloud-load-balancing"#,
        "config.yaml:20: sources[4].addresses: preset and addresses are alternatives; keep one of them (another static source can hold your own addresses)",
        "config.yaml:21: sources[5].addresses: missing required key; list addresses or prefixes, e.g. [100.64.0.0/10], or use a preset",
      ]),
    Case(
      name: "role and STS keys",
      yaml: """
        sources:
          - name: a
            type: alibaba-cdn
            domains: [www.example.com]
            role_arn: arn:aws:iam::1:role/x
            role_duration: 5m
            sts_endpoint: http://sts.aliyuncs.com
          - name: b
            type: alibaba-cdn
            domains: [www.example.com]
            external_id: x1
            role_session_name: origin-guard
          - name: c
            type: alibaba-cdn
            domains: [www.example.com]
            role_arn: acs:ram::1234567890:role/reader
            role_session_name: "has space"
            external_id: x
            role_policy: "not json"
            sts_endpoint: https://sts.aliyuncs.com/path
        """,
      problems: [
        #"config.yaml:5: sources[0].role_arn: "arn:aws:iam::1:role/x" is not a RAM role ARN; write acs:ram::<account id>:role/<role name>"#,
        "config.yaml:6: sources[0].role_duration: STS accepts 15m to 12h (900 to 43200 seconds), and at most the role's MaxSessionDuration",
        "config.yaml:7: sources[0].sts_endpoint: http://sts.aliyuncs.com is plain HTTP: anyone on the path could rewrite what it returns; use https:// (plain http:// is allowed only to 127.0.0.1, ::1 and localhost)",
        "config.yaml:11: sources[1].external_id: external_id belongs with role_arn, which is not set",
        "config.yaml:12: sources[1].role_session_name: role_session_name belongs with role_arn, which is not set",
        "config.yaml:17: sources[2].role_session_name: 2 to 64 letters, digits, '.', '@', '-' or '_'",
        "config.yaml:18: sources[2].external_id: an external id has 2 to 1224 characters",
        "config.yaml:19: sources[2].role_policy: a policy is a JSON object, written as a string",
        "config.yaml:20: sources[2].sts_endpoint: the STS endpoint is a host (https://sts.cn-hangzhou.aliyuncs.com), without a path",
      ]),
    Case(
      name: "credentials",
      yaml: """
        sources:
          - name: cdn
            type: alibaba-cdn
            domains: [www.example.com, "https://www.example.com/"]
            access_key_id: LTAI5tExampleKeyId
            credentials_profile: cdn
          - name: esa
            type: alibaba-esa
            site_ids: [example.com]
            use_environment: false
            use_cli_profile: false
            use_credentials_ini: false
            use_ecs_ram_role: false
            use_oidc: false
            use_credentials_uri: false
        """,
      problems: [
        "config.yaml:2: sources[0].access_key_secret: missing required key; access_key_id needs access_key_secret (or use credentials_file)",
        #"config.yaml:4: sources[0].domains[1]: "https://www.example.com/" is a URL; write the domain alone, e.g. www.example.com"#,
        "config.yaml:6: sources[0].credentials_profile: names a section of credentials_file, which is not set",
        "config.yaml:7: sources[1]: every way of finding credentials is switched off; set credentials_file or enable one of use_environment, use_oidc, use_cli_profile, use_credentials_ini, use_ecs_ram_role, use_credentials_uri",
        #"config.yaml:9: sources[1].site_ids[0]: "example.com" is not a site id; ESA site ids are numbers (ListSites or the ESA console shows them)"#,
      ]),
    Case(
      name: "ruleset cross-checks and guard limits",
      yaml: """
        ipv4_set: allowed
        ipv6_set: allowed
        guard_chain: input
        table: "origin guard"
        guards:
          min_entries: 100
          max_entries: 10
          max_shrink_percent: 150
        metrics_file: /var/lib/node-exporter/origin_guard.txt
        state_dir: var/lib/origin-guard
        drop_log: {rate: lots}
        """ + "\n" + oneStaticSource,
      problems: [
        #"config.yaml:2: ipv6_set: ipv4_set and ipv6_set are both "allowed"; each family needs its own set"#,
        #"config.yaml:3: guard_chain: the guard chain and the base chain are both "input"; name them differently"#,
        #"config.yaml:4: table: "origin guard" is not an nftables name; use letters, digits, _, - and ., starting with a letter or _"#,
        "config.yaml:7: guards.max_entries: min_entries (100) is above max_entries (10); every list would be refused",
        "config.yaml:8: guards.max_shrink_percent: 150 is out of range; use 0…100",
        "config.yaml:9: metrics_file: node_exporter's textfile collector reads only files ending in .prom",
        #"config.yaml:10: state_dir: "var/lib/origin-guard" is relative; write an absolute path"#,
        #"config.yaml:11: drop_log.rate: "lots" is not a rate; write <count>/<period> with period second, minute, hour, day or week, e.g. 10/minute"#,
      ]),
    Case(
      name: "a drop log rate and burst the kernel refuses (EOVERFLOW)",
      yaml: "drop_log: {rate: 1/week, burst: 1000000}\n" + oneStaticSource,
      problems: [
        "config.yaml:1: drop_log.rate: rate 1/week with burst 1000000 is refused by the kernel: the kernel's token bucket for this rate and burst exceeds 64 bits; at this rate the burst can be at most 30500; lower the burst or use a shorter period"
      ]),
    Case(
      name: "a burst alone the kernel refuses at the default rate",
      yaml: "drop_log: {burst: 4000000000}\n" + oneStaticSource,
      problems: [
        "config.yaml:1: drop_log.burst: rate 10/minute with burst 4000000000 is refused by the kernel: the kernel's token bucket for this rate and burst exceeds 64 bits; at this rate the burst can be at most 3074457345; lower the burst or use a shorter period"
      ]),
    Case(
      name: "root is not a mapping",
      yaml: "- sources\n",
      problems: [
        "config.yaml:1: expected a mapping of settings (table:, ports:, sources:, …), found a list"
      ]),
  ]

  @Test(arguments: cases)
  func reportsExactly(_ testCase: Case) {
    #expect(configurationProblems(testCase.yaml) == testCase.problems)
  }

  @Test func syntaxErrorNamesTheLine() {
    let problems = configurationProblems("ports: [80, 443\nsources:\n  - name: a\n")
    #expect(problems.count == 1)
    #expect(problems.first?.hasPrefix("config.yaml:") == true)
    #expect(problems.first?.contains("not valid YAML") == true)
    #expect(configurationProblemKinds("ports: [80, 443\n") == [.syntax])
  }

  @Test func tabsGetAHint() {
    let problems = configurationProblems("sources:\n\t- name: a\n")
    #expect(problems.count == 1)
    #expect(problems.first?.hasPrefix("config.yaml:2: not valid YAML") == true)
    #expect(problems.first?.hasSuffix("indent with spaces, YAML does not allow tabs") == true)
  }

  @Test func everyProblemIsReportedAtOnceWithACount() {
    do {
      _ = try ConfigurationLoader.parse(yaml: "prots: [80]\nhook: forward\n", path: "config.yaml")
      Issue.record("expected an error")
    } catch {
      #expect(
        error.description == """
          config.yaml: 3 problems; nothing was changed:
          config.yaml:1: sources: missing required key; list where the allow-list comes from, e.g. a static or alibaba-cdn source
          config.yaml:1: prots: unknown key; did you mean "ports"?
          config.yaml:2: hook: "forward" is not a hook; use input or prerouting
          """)
      #expect(error.problems.map(\.kind) == [.missingKey, .unknownKey, .invalidValue])
    }
  }

  /// The largest bursts the kernel takes (checked in RateLimitKernelBoundsTests) pass.
  @Test func dropLogAtTheKernelsBoundIsAccepted() {
    #expect(
      configurationProblems("drop_log: {rate: 1/week, burst: 30500}\n" + oneStaticSource) == [])
    #expect(configurationProblems("drop_log: {burst: 3074457345}\n" + oneStaticSource) == [])
  }

  @Test func plainHTTPToLoopbackIsAllowed() {
    for url in ["http://127.0.0.1:8080/list", "http://[::1]/list", "http://localhost/list"] {
      let yaml = "sources:\n  - name: local\n    type: url\n    url: \(url)\n"
      #expect(configurationProblems(yaml) == [], "\(url)")
    }
  }
}
