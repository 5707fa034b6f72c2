import OriginGuard

/// The YAML configuration loader on arbitrary text: it loads or it reports problems with a
/// line and key path, and neither the configuration's summary nor the problem list crashes.
enum ConfigurationTarget {
  static func test(_ bytes: UnsafeRawBufferPointer) {
    let text = String(decoding: bytes, as: UTF8.self)
    do {
      let configuration = try ConfigurationLoader.parse(
        yaml: text, path: "fuzz.yaml", fileMode: 0o600)
      _ = configuration.summary
      precondition(!configuration.sources.isEmpty, "a configuration without sources loaded")
    } catch {
      precondition(!error.problems.isEmpty, "an error without problems")
      _ = error.description
    }
  }

  static let seeds: [[UInt8]] = [
    """
    sources:
      - name: cdn
        type: static
        addresses: [203.0.113.0/24, "2001:db8:1::/48"]
    """,
    """
    table: edge_guard
    ipv4_set: cdn_v4
    ipv6_set: cdn_v6
    guard_chain: cdn_guard
    base_chain: cdn_pre
    ports: [443, 8443]
    protocols: [tcp, udp]
    hook: prerouting
    priority: -160
    accept_established: true
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
      - name: static-ranges
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
      - name: aws
        type: url
        url: https://ip-ranges.amazonaws.com/ip-ranges.json
        format: json
        select:
          - prefixes[service=CLOUDFRONT_ORIGIN_FACING].ip_prefix
          - ipv6_prefixes[service=CLOUDFRONT_ORIGIN_FACING].ipv6_prefix
      - name: lists
        type: url
        urls:
          - url: https://example.com/v4.txt
            format: text
          - url: http://127.0.0.1:8080/v6.json
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
      - name: esa
        type: alibaba-esa
        site_ids: [123456789]
        region: ap-southeast-1
        list: latest
        use_ecs_ram_role: true
        ecs_role_name: origin-guard
        metadata_endpoint: http://127.0.0.1:9100
      - name: inline
        type: alibaba-cdn
        domains: [a.example.com]
        access_key_id: LTAI5tExample
        access_key_secret: secret
        security_token: token
    """,
    "prots: [80]\nsources: {}\n",
    "sources:\n  - &a {name: x, type: static, addresses: [1.2.3.4]}\n  - *a\n",
    "sources: [{name: x, type: static, addresses: [1.2.3.4], name: y}]\n",
    "%YAML 1.2\n---\nsources: !!seq []\n...\n",
  ].map { Array($0.utf8) }

  static let dictionary = [
    "sources:", "  - name: ", "type: static", "type: url", "type: file", "type: alibaba-cdn",
    "type: alibaba-esa", "addresses: ", "guards:", "ports: ", "hook: ", "interval: ", "&a ", "*a",
    "<<: ", "!!str ", "!!int ", "? ", "- ", "[", "]", "{", "}", "\"", "'", "|\n", ">\n", "---\n",
    "...\n", "~", "null", "true", "1h30m", "250ms", "0x10", "1e3", ".inf", "\t",
  ]
}
