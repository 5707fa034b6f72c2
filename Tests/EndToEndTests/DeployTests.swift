import Foundation
import TestSupport
import Testing

/// Where the files an operator installs live in the repository, and scratch space for tests.
enum Deploy {
  /// The repository root: this file is Tests/EndToEndTests/DeployTests.swift.
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

  static func path(_ relative: String) -> String {
    root.appendingPathComponent(relative).path
  }

  static func text(_ relative: String) throws -> String {
    try String(contentsOfFile: path(relative), encoding: .utf8)
  }

  /// The regular files directly in a directory of the repository, sorted.
  static func files(in relative: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: path(relative)).sorted()
  }

  /// A fresh directory readable by its owner only, removed after `body`.
  static func withScratchDirectory<T>(
    under parent: String = FileManager.default.temporaryDirectory.path,
    _ body: (String) async throws -> T
  ) async throws -> T {
    let directory = "\(parent)/og-deploy-\(String(UInt64.random(in: 0...UInt64.max), radix: 36))"
    try FileManager.default.createDirectory(
      atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    defer { try? FileManager.default.removeItem(atPath: directory) }
    return try await body(directory)
  }

  /// Writes a file with the given mode.
  static func write(_ text: String, to path: String, mode: Int = 0o600) throws {
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
  }
}

@Suite("deploy/ as shipped")
struct DeployTests {
  @Test func theDeployDirectoryHoldsWhatTheREADMEAndThePackageName() throws {
    #expect(
      try Deploy.files(in: "deploy/systemd") == [
        "origin-guard-daemon.service", "origin-guard-restore.service", "origin-guard.service",
        "origin-guard.timer",
      ])
    #expect(try Deploy.files(in: "deploy/cron") == ["origin-guard"])
    #expect(try Deploy.files(in: "deploy/debian") == ["postinst", "postrm", "prerm"])
    #expect(
      try Deploy.files(in: "deploy/kubernetes") == [
        "Dockerfile", "configmap-accesskey.yaml", "configmap.yaml", "daemonset.yaml",
        "secret.yaml", "serviceaccount.yaml",
      ])
    let packageScript = try Deploy.text("scripts/package-deb")
    for shipped in [
      "deploy/systemd/*.service", "deploy/systemd/*.timer", "deploy/config.yaml.example",
      "deploy/examples/*", "deploy/cron/origin-guard", "deploy/debian/postinst",
    ] {
      #expect(packageScript.contains(shipped), "scripts/package-deb does not ship \(shipped)")
    }
  }

  @Test func maintainerScriptsAreValidPOSIXShellAndExecutable() throws {
    for script in ["postinst", "prerm", "postrm"] {
      let path = Deploy.path("deploy/debian/\(script)")
      try run(["sh", "-n", path])
      let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
      #expect(mode == 0o755, "\(script) must be executable")
    }
    try run(["bash", "-n", Deploy.path("scripts/package-deb")])
  }
}

extension Deploy {
  /// Bash lines that serve `directory` (a shell word, expanded) at http://127.0.0.1:8080/ from
  /// inside a fresh network namespace (its own loopback, so the port is always free) until the
  /// script exits. SIGKILL: the test runner's children start with SIGTERM blocked. The server
  /// closes the descriptors it inherits: Foundation's Process waits until every holder of one
  /// of them has exited, so a leftover server would hang the test.
  static func serveHTTP(_ directory: String) -> String {
    """
    ip link set lo up
    /usr/bin/python3 -c 'import os, runpy, sys
    os.closerange(3, 65536)
    sys.argv = ["http.server", "8080", "--bind", "127.0.0.1", "--directory", sys.argv[1]]
    runpy.run_module("http.server", run_name="__main__")' "\(directory)" >/dev/null 2>&1 &
    server=$!
    trap 'kill -KILL $server 2>/dev/null || true' EXIT
    for _ in $(seq 200); do (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null && break; sleep 0.05; done
    """
  }
}

extension Deploy {
  /// Runs the built binary with the arguments a unit, cron line or manifest gives it, and a
  /// configuration path that does not exist: exit 1 with "cannot open" means every option was
  /// accepted and the command started (an unknown option exits 64 first). `--help` would not
  /// tell: it succeeds whatever else is on the line.
  static func startsWithArguments(_ arguments: [String]) throws -> CommandResult {
    let missing = "/nonexistent-\(UInt64.random(in: 0...UInt64.max))/config.yaml"
    return try run([OriginGuardBinary.path] + arguments + ["--config", missing], check: false)
  }
}
