import Foundation
import Testing

@testable import OriginGuard

/// An inline AccessKey secret is only accepted from a file nobody but its owner can access.
/// Real files in a temporary directory, with real modes.
@Suite("Configuration loader: file mode and inline secrets")
struct ConfigurationFileModeTests {
  static let withInlineSecret = """
    sources:
      - name: cdn
        type: alibaba-cdn
        domains: [www.example.com]
        access_key_id: LTAI5tExampleKeyId
        access_key_secret: not-a-real-secret
    """

  /// Writes `text` to a new file with `mode`, runs `body` with its path, removes it.
  func withFile(_ text: String, mode: Int, _ body: (String) throws -> Void) throws {
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("origin-guard-config-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("config.yaml").path
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    try body(path)
  }

  @Test(arguments: [0o644, 0o640, 0o604, 0o601])
  func inlineSecretInAFileOthersCanAccessIsRefused(mode: Int) throws {
    try withFile(Self.withInlineSecret, mode: mode) { path in
      do throws(ConfigurationError) {
        _ = try ConfigurationLoader.load(path: path)
        Issue.record("loaded a secret from a file with mode \(String(mode, radix: 8))")
      } catch {
        #expect(error.problems.map(\.kind) == [.secretInReadableFile])
        #expect(
          error.description
            == "\(path):6: sources[0].access_key_secret: source \"cdn\" has an AccessKey secret in this file, which group or others can access (mode \(InlineSecretCheck.octal(UInt32(mode)))); run chmod 600 \(path), or move the key to a credentials_file with mode 0600"
        )
      }
    }
  }

  @Test(arguments: [0o600, 0o400])
  func inlineSecretInAPrivateFileIsAccepted(mode: Int) throws {
    try withFile(Self.withInlineSecret, mode: mode) { path in
      let configuration = try ConfigurationLoader.load(path: path)
      #expect(configuration.sources.first?.containsInlineSecret == true)
      #expect(configuration.path == path)
    }
  }

  @Test func fileWithoutSecretsMayBeReadable() throws {
    try withFile(oneStaticSource, mode: 0o644) { path in
      _ = try ConfigurationLoader.load(path: path)
    }
  }

  @Test func modeIsInjectableForParse() {
    #expect(
      configurationProblemKinds(Self.withInlineSecret, fileMode: 0o640) == [.secretInReadableFile])
    #expect(configurationProblemKinds(Self.withInlineSecret, fileMode: 0o600) == [])
    // Text that never was a file: nothing to check.
    #expect(configurationProblemKinds(Self.withInlineSecret, fileMode: nil) == [])
  }

  @Test func secretProblemIsReportedWithTheOthers() {
    let yaml = "hook: forward\n" + Self.withInlineSecret
    #expect(
      configurationProblemKinds(yaml, fileMode: 0o644) == [.invalidValue, .secretInReadableFile])
  }

  @Test func missingFile() {
    do {
      _ = try ConfigurationLoader.load(path: "/nonexistent/origin-guard/config.yaml")
      Issue.record("loaded a missing file")
    } catch {
      #expect(
        error.description
          == "/nonexistent/origin-guard/config.yaml: cannot open: No such file or directory")
      #expect(error.problems.map(\.kind) == [.unreadableFile])
    }
  }

  /// Whoever can write the configuration chooses the allow-list, secret or not.
  @Test(arguments: [0o660, 0o606, 0o666, 0o620, 0o602])
  func aFileGroupOrOthersCanWriteIsRefused(mode: Int) throws {
    try withFile(oneStaticSource, mode: mode) { path in
      do throws(ConfigurationError) {
        _ = try ConfigurationLoader.load(path: path)
        Issue.record("loaded a configuration with mode \(String(mode, radix: 8))")
      } catch {
        #expect(error.problems.map(\.kind) == [.untrustedFile])
        #expect(error.description.contains("writable by group or others"))
        #expect(error.description.contains("chmod go-w \(path)"))
      }
    }
  }

  @Test(.enabled(if: geteuid() == 0, "chown needs root"))
  func aFileAnotherUserOwnsIsRefused() throws {
    try withFile(oneStaticSource, mode: 0o644) { path in
      #expect(chown(path, 65534, 65534) == 0)
      do throws(ConfigurationError) {
        _ = try ConfigurationLoader.load(path: path)
        Issue.record("loaded a configuration owned by uid 65534")
      } catch {
        #expect(error.problems.map(\.kind) == [.untrustedFile])
        #expect(error.description.contains("owned by uid 65534"))
        #expect(error.description.contains("chown root: \(path)"))
      }
    }
  }

  @Test func directoryIsNotAConfigurationFile() {
    do {
      _ = try ConfigurationLoader.load(path: FileManager.default.temporaryDirectory.path)
      Issue.record("loaded a directory")
    } catch {
      #expect(error.description.hasSuffix(": not a regular file"))
    }
  }
}
