import Foundation
import TestSupport

/// The three artifacts scripts/package builds around one release binary, built once per test
/// run and only when missing or older than what goes into them (scripts/test builds them
/// before `swift test`).
enum ReleasePackages {
  static let version = "0.1.0"
  static let directory = Deploy.path(".build-package")

  static var deb: String { "\(directory)/origin-guard_\(version)_amd64.deb" }
  static var rpm: String { "\(directory)/origin-guard-\(version)-1.x86_64.rpm" }
  static var tarball: String { "\(directory)/origin-guard-\(version)-linux-x86_64.tar.gz" }
  static var checksums: String { "\(directory)/SHA256SUMS" }

  /// Builds the packages if needed; once for all tests.
  static let built = Result { () throws -> Void in
    if try DeployPackageTests.isStale(checksums, inputs: inputs) {
      try run([Deploy.path("scripts/package")])
    }
  }

  static let inputs = [
    "Sources", "deploy", "scripts/build-release", "scripts/package", "scripts/package-deb",
    "scripts/package-rpm", "scripts/package-tarball", "Package.swift", "README.md",
  ]

  static func require() throws { try built.get() }

  /// The release binary as it is in the .deb, extracted into `scratch`.
  static func binaryFromDeb(in scratch: String) throws -> String {
    try require()
    try run(["dpkg-deb", "-x", deb, "\(scratch)/deb"])
    return "\(scratch)/deb/usr/bin/origin-guard"
  }
}
