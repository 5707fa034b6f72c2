import Foundation
import TestSupport
import Testing

/// The Debian package scripts/package-deb builds. Building it is a release build of the whole
/// program (minutes), so it is built once per test run and only when the .deb is missing or
/// older than what goes into it.
@Suite("Debian package")
struct DeployPackageTests {
  static let version = "0.1.0"

  /// The path of the .deb, built if needed; once for all tests of the suite.
  static let package = Result { () throws -> String in
    let architecture = try run(["dpkg", "--print-architecture"]).output
      .trimmingCharacters(in: .whitespacesAndNewlines)
    let deb = Deploy.path(".build-deb/origin-guard_\(version)_\(architecture).deb")
    if try isStale(
      deb, inputs: ["Sources", "deploy", "scripts/package-deb", "Package.swift", "README.md"])
    {
      try run([Deploy.path("scripts/package-deb")])
    }
    return deb
  }

  /// Missing, or older than a file it is built from.
  static func isStale(_ deb: String, inputs: [String]) throws -> Bool {
    let manager = FileManager.default
    guard let built = try? manager.attributesOfItem(atPath: deb)[.modificationDate] as? Date else {
      return true
    }
    for input in inputs {
      let root = Deploy.path(input)
      let paths = [root] + (manager.subpaths(atPath: root) ?? []).map { "\(root)/\($0)" }
      for path in paths {
        if let modified = try manager.attributesOfItem(atPath: path)[.modificationDate] as? Date,
          modified > built
        {
          return true
        }
      }
    }
    return false
  }

  func deb() throws -> String { try Self.package.get() }

  /// The control file's fields.
  func control() throws -> [String: String] {
    let text = try run(["dpkg-deb", "--field", try deb()]).output
    var fields: [String: String] = [:]
    var last: String?
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      if line.first == " ", let last {
        fields[last, default: ""] += "\n" + line
      } else if let colon = line.firstIndex(of: ":") {
        last = String(line[..<colon])
        fields[last!] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
      }
    }
    return fields
  }

  func withExtractedPackage<T>(_ body: (String) async throws -> T) async throws -> T {
    let deb = try deb()
    return try await Deploy.withScratchDirectory { scratch in
      try run(["dpkg-deb", "-x", deb, "\(scratch)/root"])
      try run(["dpkg-deb", "-e", deb, "\(scratch)/root/DEBIAN"])
      return try await body("\(scratch)/root")
    }
  }

  @Test func theControlFileNamesTheLibrariesItLinks() throws {
    let fields = try control()
    #expect(fields["Package"] == "origin-guard")
    #expect(fields["Version"] == Self.version)
    let depends = (fields["Depends"] ?? "").split(separator: ",").map {
      String($0.trimmingCharacters(in: .whitespaces).split(separator: " ")[0])
    }
    #expect(depends.contains("libnftnl11"))
    #expect(depends.contains("libmnl0"))
    #expect(depends.contains("libc6"))
    // The daemon unit's ExecReload runs /bin/kill, which a minimal Debian lacks.
    #expect(depends.contains("procps"))
    #expect(!depends.contains { $0.hasPrefix("libswift") || $0.hasPrefix("swift") })
  }

  /// apt resolves the dependencies on this Debian 12 machine (a simulation: nothing changes).
  @Test func aptCanInstallIt() throws {
    let simulation = try run([
      "apt-get", "install", "--simulate", "--no-install-recommends", try deb(),
    ])
    #expect(
      simulation.output.contains("Inst origin-guard (\(Self.version) "), "\(simulation.output)")
  }

  @Test func theExtractedBinaryRunsAndLinksNoSwiftRuntime() async throws {
    let dependsField = try control()["Depends"] ?? ""
    try await withExtractedPackage { root in
      let binary = "\(root)/usr/bin/origin-guard"
      let version = try run([binary, "--version"]).output
      #expect(version.split(separator: "\n").first == Substring(Self.version))
      let validate = try run(
        [binary, "validate", "-c", "\(root)/etc/origin-guard/config.yaml.example"], check: false)
      #expect(validate.status == 0, "\(validate.errorOutput)")

      let ldd = try run(["ldd", binary]).output
      #expect(!ldd.contains("libswift"), "\(ldd)")
      #expect(!ldd.contains("not found"), "\(ldd)")
      // Every library it links belongs to a package the control file depends on.
      let libraries = ldd.split(separator: "\n").compactMap { line -> String? in
        let words = line.split(separator: " ")
        return words.count >= 3 && words[1] == "=>" && words[2].hasPrefix("/")
          ? String(words[2]) : nil
      }
      #expect(libraries.contains { $0.contains("libnftnl.so") })
      #expect(libraries.contains { $0.contains("libmnl.so") })
      for library in libraries {
        let real = try run(["realpath", library]).output.trimmingCharacters(
          in: .whitespacesAndNewlines)
        // dpkg knows the path as installed; on a merged-/usr system /lib is /usr/lib.
        var owner: CommandResult?
        for candidate in [library, real, String(library.trimmingPrefix("/usr"))] where owner == nil
        {
          let result = try run(["dpkg", "-S", candidate], check: false)
          if result.succeeded { owner = result }
        }
        let package = try #require(owner, "no package owns \(library)").output
          .split(separator: ":")[0]
        #expect(
          dependsField.contains(String(package)), "\(library) is in \(package), not in Depends")
      }
    }
  }

  @Test func installsTheUnitsConfigurationStateDirectoryAndCompletion() async throws {
    let listing = try run(["dpkg-deb", "-c", try deb()]).output
    func entry(_ path: String) -> Substring? {
      listing.split(separator: "\n").first {
        $0.hasSuffix(" ./\(path)") || $0.hasSuffix(" ./\(path)/")
      }
    }
    #expect(entry("usr/bin/origin-guard")?.hasPrefix("-rwxr-xr-x root/root") == true)
    #expect(entry("var/lib/origin-guard")?.hasPrefix("drwx------ root/root") == true)
    #expect(
      entry("etc/origin-guard/config.yaml.example")?.hasPrefix("-rw-r--r-- root/root") == true)
    #expect(entry("usr/share/bash-completion/completions/origin-guard") != nil)
    #expect(entry("usr/share/doc/origin-guard/examples/cron.d/origin-guard") != nil)
    for example in try Deploy.files(in: "deploy/examples") {
      #expect(entry("usr/share/doc/origin-guard/examples/\(example)") != nil, "\(example)")
    }
    // Installed, not enabled: nothing under /etc/systemd or /etc/cron.d.
    #expect(!listing.contains("./etc/systemd/"))
    #expect(!listing.contains("./etc/cron.d/"))

    try await withExtractedPackage { root in
      for unit in DeploySystemdTests.unitNames {
        let packaged = try String(
          contentsOfFile: "\(root)/lib/systemd/system/\(unit)", encoding: .utf8)
        #expect(
          packaged == (try Deploy.text("deploy/systemd/\(unit)")),
          "\(unit) differs from deploy/systemd")
      }
      let conffiles = try String(contentsOfFile: "\(root)/DEBIAN/conffiles", encoding: .utf8)
      #expect(conffiles.split(separator: "\n") == ["/etc/origin-guard/config.yaml.example"])
      for script in ["postinst", "prerm", "postrm"] {
        let mode =
          try FileManager.default.attributesOfItem(atPath: "\(root)/DEBIAN/\(script)")[
            .posixPermissions] as? Int
        #expect(mode == 0o755, "\(script)")
      }
      let completion = try String(
        contentsOfFile: "\(root)/usr/share/bash-completion/completions/origin-guard",
        encoding: .utf8)
      #expect(completion.contains("complete") && completion.contains("bootstrap"))
    }
  }
}
