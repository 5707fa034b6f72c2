import AddressSet
import Foundation
import TestSupport
import Testing

/// The example configurations an operator starts from, checked by the real binary.
@Suite("Example configurations")
struct DeployExamplesTests {
  static let examples = [
    "deploy/examples/alibaba-cdn.yaml", "deploy/examples/alibaba-esa.yaml",
    "deploy/examples/cloudflare.yaml", "deploy/examples/file.yaml",
    "deploy/examples/fleet-host.yaml", "deploy/examples/docker-host.yaml",
    "deploy/config.yaml.example",
  ]

  @Test func everyExampleIsListedHere() throws {
    let yaml = try Deploy.files(in: "deploy/examples").filter { $0.hasSuffix(".yaml") }
    #expect(
      yaml.map { "deploy/examples/\($0)" }
        == Self.examples.filter { $0.hasPrefix("deploy/examples/") }.sorted())
  }

  @Test(arguments: examples)
  func validateAcceptsIt(_ example: String) throws {
    let result = try run(
      [OriginGuardBinary.path, "validate", "-c", Deploy.path(example)], check: false)
    #expect(result.status == 0, "\(example): \(result.errorOutput)")
    #expect(result.output.hasPrefix("\(Deploy.path(example)): OK"))
  }

  /// Secrets belong in a credentials_file (mode 0600) or come from the RAM role; an example with
  /// an inline secret would be refused at the mode git checks files out with.
  @Test(arguments: examples)
  func holdsNoInlineSecret(_ example: String) throws {
    let text = try Deploy.text(example)
    #expect(!text.contains("access_key_secret"))
    #expect(!text.contains("access_key_id"))
  }

  @Test func theAlibabaExamplesUseTheRAMRoleOrACredentialsFile() throws {
    let cdn = try Deploy.text("deploy/examples/alibaba-cdn.yaml")
    #expect(cdn.contains("use_ecs_ram_role: true") && cdn.contains("ecs_role_name:"))
    #expect(
      cdn.components(separatedBy: "\n").filter { $0.hasPrefix("    domains:") }.first?.contains(",")
        == true)
    let esa = try Deploy.text("deploy/examples/alibaba-esa.yaml")
    #expect(esa.contains("credentials_file: /etc/origin-guard/alibaba.ini"))
    #expect(try Deploy.text("deploy/examples/docker-host.yaml").contains("hook: prerouting"))
    #expect(try Deploy.text("deploy/examples/cloudflare.yaml").contains("preset: cloudflare"))
    #expect(
      try Deploy.text("deploy/examples/fleet-host.yaml").contains("select: prefixes[].prefix"))
  }

  /// The examples name /etc/origin-guard/extra.txt and alibaba.ini, which a test machine does not
  /// have: validate reads neither a file source's file nor a credentials file.
  @Test func validateReadsNeitherTheListFileNorTheCredentialsFile() async throws {
    try await Deploy.withScratchDirectory { scratch in
      let config = """
        sources:
          - name: extra
            type: file
            path: \(scratch)/missing/extra.txt
          - name: cdn
            type: alibaba-cdn
            domains: [www.example.com]
            credentials_file: \(scratch)/missing/alibaba.ini
        """
      try Deploy.write(config, to: "\(scratch)/config.yaml")
      let result = try run(
        [OriginGuardBinary.path, "validate", "-c", "\(scratch)/config.yaml"], check: false)
      #expect(result.status == 0, "\(result.errorOutput)")
    }
  }

  @Test func extraTxtParsesLineByLine() throws {
    let lines = try Deploy.text("deploy/examples/extra.txt").split(separator: "\n")
      .map { $0.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? "" }
      .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    #expect(lines.count == 3)
    for line in lines { #expect(throws: Never.self) { try PrefixParser.parse(line) } }
  }

  /// file.yaml with its list read by the binary: `export --fresh` fetches the sources and prints
  /// the merged list without touching the kernel.
  @Test func theFileExampleExportsTheListInExtraTxt() async throws {
    try await Deploy.withScratchDirectory { scratch in
      let config =
        try Deploy.text("deploy/examples/file.yaml")
        .replacingOccurrences(
          of: "/etc/origin-guard/extra.txt", with: Deploy.path("deploy/examples/extra.txt"))
        + "\nstate_dir: \(scratch)/state\n"
      try Deploy.write(config, to: "\(scratch)/config.yaml")
      let result = try run([
        OriginGuardBinary.path, "export", "--fresh", "--format", "text", "-c",
        "\(scratch)/config.yaml",
      ])
      let prefixes = result.output.split(separator: "\n").filter { !$0.hasPrefix("#") }.map(
        String.init
      ).sorted()
      #expect(
        prefixes == ["100.64.0.0/10", "192.0.2.10/32", "198.51.100.0/24", "2001:db8:100::/48"])
    }
  }
}
