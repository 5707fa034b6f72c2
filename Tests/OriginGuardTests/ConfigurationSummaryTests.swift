import Testing

@testable import OriginGuard

@Suite("Configuration summary")
struct ConfigurationSummaryTests {
  @Test func minimalFile() throws {
    let configuration = try ConfigurationLoader.parse(
      yaml: ConfigurationLoaderTests.minimal, path: "/etc/origin-guard/config.yaml")
    #expect(
      configuration.summary == """
        configuration /etc/origin-guard/config.yaml
        table inet origin_guard: sets allowed_v4, allowed_v6; chain input (hook input, priority -10) jumps to chain guard
        guarded: tcp ports 80, 443; established/related accepted; dropped packets not logged
        sources (3):
          cdn: alibaba-cdn, 2 domains at https://cdn.aliyuncs.com, credentials: first of environment, OIDC (RRSA), aliyun CLI profile, credentials ini, ECS RAM role, credentials URI, removed prefixes kept 1d
          health-checks: static, 1 address
          extra: file, /etc/origin-guard/extra.txt
        guards: 1…1000000 entries, shrink at most 30%, prefixes at least /8 (IPv4) and /32 (IPv6)
        every 5m (±30s); last-known-good lists stand in for up to 7d; state in /var/lib/origin-guard; metrics to /var/lib/prometheus/node-exporter/origin_guard.prom; log info as text
        """)
  }

  @Test func neverShowsSecrets() throws {
    let yaml = """
      drop_log: true
      sources:
        - name: esa
          type: alibaba-esa
          site_ids: [12345]
          access_key_id: LTAI5tExampleKeyId
          access_key_secret: very-secret-value
          security_token: very-secret-token
        - name: cross-account
          type: alibaba-cdn
          domains: [www.example.com]
          role_arn: acs:ram::1234567890:role/origin-guard-reader
          external_id: very-secret-external-id
          role_policy: '{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "cdn:Describe*", "Resource": "very-secret-resource"}]}'
          sts_endpoint: https://sts-vpc.cn-hangzhou.aliyuncs.com
        - name: list
          type: url
          url: https://user:password@example.com/list.txt?token=very-secret-query
      """
    let summary = try ConfigurationLoader.parse(yaml: yaml, path: "config.yaml").summary
    #expect(!summary.contains("very-secret"))
    #expect(!summary.contains("password"))
    #expect(
      summary.contains(
        "credentials: RAM role acs:ram::1234567890:role/origin-guard-reader (session origin-guard) at https://sts-vpc.cn-hangzhou.aliyuncs.com, assumed with first of"
      ))
    #expect(!summary.contains("LTAI5tExampleKeyId"))
    #expect(
      summary.contains(
        "esa: alibaba-esa, 1 site at https://esa.cn-hangzhou.aliyuncs.com, list: union, credentials: inline AccessKey LTAI****eyId"
      ))
    #expect(summary.contains("list: url, 1 document: https://example.com/list.txt?…"))
    #expect(summary.contains(#"dropped packets logged as "origin-guard drop: " at most 10/minute"#))
  }
}
