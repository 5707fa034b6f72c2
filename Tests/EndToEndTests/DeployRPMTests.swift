import Foundation
import TestSupport
import Testing

/// The .rpm for Alibaba Cloud Linux 3 and the RHEL 9 family, read and installed with Debian's
/// rpm into a scratch root (`--nodeps`: the scratch root has no RHEL packages to satisfy them).
@Suite("RPM package")
struct DeployRPMTests {
  func query(_ arguments: String...) throws -> [String] {
    try ReleasePackages.require()
    return try run(["rpm", "-qp"] + arguments + [ReleasePackages.rpm]).output
      .split(separator: "\n").map(String.init)
  }

  @Test func requiresTheRHELLibraryPackagesAndNoSwiftOrLibstdcxx() throws {
    let requires = try query("-R")
    #expect(requires.contains("libnftnl") && requires.contains("libmnl"), "\(requires)")
    // rpmbuild's automatic requirements from the binary's dynamic section.
    #expect(requires.contains("libnftnl.so.11()(64bit)"), "\(requires)")
    #expect(requires.contains("libmnl.so.0()(64bit)"), "\(requires)")
    #expect(requires.contains("util-linux"), "the daemon unit's ExecReload runs kill: \(requires)")
    #expect(!requires.contains { $0.contains("libstdc++") || $0.contains("swift") }, "\(requires)")
    // Alibaba Cloud Linux 3 has glibc 2.32: no requirement on a newer symbol version.
    let glibc = requires.compactMap { line -> Int? in
      guard let range = line.range(of: "(GLIBC_2.") else { return nil }
      return Int(line[range.upperBound...].prefix { $0.isNumber })
    }
    #expect(!glibc.isEmpty && glibc.allSatisfy { $0 <= 31 }, "\(requires)")
  }

  @Test func listsTheBinaryUnitsConfigurationAndStateDirectory() throws {
    let files = Set(try query("-l"))
    for path in [
      "/usr/bin/origin-guard", "/etc/origin-guard/config.yaml.example", "/var/lib/origin-guard",
      "/usr/share/bash-completion/completions/origin-guard",
      "/usr/share/doc/origin-guard/README.md",
      "/usr/share/doc/origin-guard/examples/cron.d/origin-guard",
    ] + DeploySystemdTests.unitNames.map({ "/usr/lib/systemd/system/\($0)" }) {
      #expect(files.contains(path), "\(path) missing")
    }
    for example in try Deploy.files(in: "deploy/examples") {
      #expect(files.contains("/usr/share/doc/origin-guard/examples/\(example)"), "\(example)")
    }
    // Installed, not enabled; RHEL's unit directory, not Debian's /lib/systemd.
    #expect(!files.contains { $0.hasPrefix("/etc/systemd") || $0.hasPrefix("/lib/") })
    #expect(!files.contains { $0.hasPrefix("/etc/cron.d") })
  }

  @Test func installsIntoAScratchRootWithTheModesAndConfigurationFilesOfTheDeb() async throws {
    try ReleasePackages.require()
    try await Deploy.withScratchDirectory { scratch in
      let root = "\(scratch)/root"
      try run(["mkdir", "-p", root])
      try run(["rpm", "--root", root, "--initdb"])
      // --noscripts: the scriptlets need a shell in the root (they are run below, by hand).
      try run([
        "rpm", "--root", root, "-i", "--nodeps", "--noscripts", ReleasePackages.rpm,
      ])
      func mode(_ path: String) throws -> String {
        try run(["stat", "-c", "%A %U:%G", "\(root)\(path)"]).output
          .trimmingCharacters(in: .whitespacesAndNewlines)
      }
      #expect(try mode("/usr/bin/origin-guard") == "-rwxr-xr-x root:root")
      #expect(try mode("/var/lib/origin-guard") == "drwx------ root:root")
      #expect(try mode("/etc/origin-guard/config.yaml.example") == "-rw-r--r-- root:root")
      for unit in DeploySystemdTests.unitNames {
        #expect(try mode("/usr/lib/systemd/system/\(unit)") == "-rw-r--r-- root:root")
        let installed = try String(
          contentsOfFile: "\(root)/usr/lib/systemd/system/\(unit)", encoding: .utf8)
        #expect(installed == (try Deploy.text("deploy/systemd/\(unit)")), "\(unit)")
      }
      let configuration = try run(["rpm", "--root", root, "-qc", "origin-guard"]).output
      #expect(configuration.split(separator: "\n") == ["/etc/origin-guard/config.yaml.example"])
      // %config(noreplace): an edited file is kept on upgrade ("n" among the file flags).
      let flags = try run([
        "rpm", "--root", root, "-q", "--qf", "[%{FILENAMES} %{FILEFLAGS:fflags}\\n]",
        "origin-guard",
      ]).output
      #expect(
        flags.split(separator: "\n").contains("/etc/origin-guard/config.yaml.example cn"),
        "\(flags)")
      let binary = "\(root)/usr/bin/origin-guard"
      let version = try run([binary, "--version"]).output
      #expect(version.split(separator: "\n").first == Substring(ReleasePackages.version))
      let validate = try run(
        [binary, "validate", "-c", "\(root)/etc/origin-guard/config.yaml.example"], check: false)
      #expect(validate.status == 0, "\(validate.errorOutput)")
    }
  }

  /// The scriptlets do what the deb's maintainer scripts do, run in the same harness (a
  /// private mount namespace where systemd seems to run and `systemctl` records its calls).
  @Test func scriptletsDoWhatTheDebianMaintainerScriptsDo() async throws {
    let scripts = try query("--scripts").joined(separator: "\n")
    func body(_ name: String) -> String {
      let header = "\(name) scriptlet (using /bin/sh):\n"
      guard let start = scripts.range(of: header) else { return "" }
      let rest = scripts[start.upperBound...]
      guard
        let next = rest.range(
          of: #"\n[a-z]+ scriptlet \(using /bin/sh\):\n"#, options: .regularExpression)
      else { return String(rest) }
      return String(rest[..<next.lowerBound])
    }
    let harness = DeployMaintainerScriptsTests()
    func run(_ name: String, _ argument: String) async throws
      -> DeployMaintainerScriptsTests.Outcome
    {
      try await Deploy.withScratchDirectory { scratch in
        try Deploy.write(body(name), to: "\(scratch)/\(name)", mode: 0o755)
        return try await harness.runScript(at: "\(scratch)/\(name)", [argument])
      }
    }
    let install = try await run("postinstall", "1")
    #expect(install.systemctlCalls == ["daemon-reload"], "installation enables nothing")
    #expect(install.output.contains("systemctl enable --now origin-guard.timer"))
    let upgrade = try await run("postinstall", "2")
    #expect(upgrade.systemctlCalls == ["daemon-reload", "try-restart origin-guard-daemon.service"])
    #expect(upgrade.output.isEmpty)
    let removal = try await run("preuninstall", "0")
    #expect(
      removal.systemctlCalls == [
        "stop origin-guard.timer origin-guard-daemon.service origin-guard.service",
        "disable origin-guard.timer origin-guard-daemon.service origin-guard-restore.service",
      ])
    #expect(removal.errorOutput.contains("origin-guard teardown"))
    #expect(try await run("preuninstall", "1").systemctlCalls.isEmpty, "an upgrade stops nothing")
    #expect(try await run("postuninstall", "0").systemctlCalls == ["daemon-reload"])
  }
}
