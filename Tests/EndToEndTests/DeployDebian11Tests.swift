import Foundation
import TestSupport
import Testing

/// The .deb on Debian 11 (glibc 2.31, libnftnl 1.1.9, nftables 0.9.8): installed with that
/// root's own dpkg (which checks Depends), then run from inside it (chroot) in a throwaway
/// network namespace and checked with that root's own `nft -j`. The root is made once by
/// scripts/debian-root (debootstrap, cached outside the work tree) and used through an
/// overlay, so the cached root is never changed.
@Suite("Debian 11 root", .enabled(if: KernelTests.enabled))
struct DeployDebian11Tests {
  /// The steps, as the operator would type them; each writes its output and exit status
  /// to /tmp/out/<step>.
  static let steps = """
    mkdir /tmp/out
    step() { name=$1; shift; "$@" >/tmp/out/$name 2>&1; echo $? >/tmp/out/$name.status; }
    step dpkg dpkg -i /tmp/origin-guard.deb
    step version origin-guard --version
    # Every symbol resolved at start: one glibc 2.31 lacks fails here, not when first called.
    step bind-now env LD_BIND_NOW=1 origin-guard validate --help
    printf '%s\\n' '192.0.2.0/24' '198.51.100.7/32' >/etc/origin-guard/list.txt
    cat >/etc/origin-guard/config.yaml <<'YAML'
    sources:
      - name: list
        type: file
        path: /etc/origin-guard/list.txt
    YAML
    chmod 0600 /etc/origin-guard/config.yaml
    step bootstrap origin-guard bootstrap --yes
    step status origin-guard status
    printf '%s\\n' '192.0.2.0/24' '203.0.113.0/25' >/etc/origin-guard/list.txt
    step sync origin-guard sync
    step synced nft -j list set inet origin_guard allowed_v4
    step teardown origin-guard teardown
    step after-teardown nft -j list ruleset
    """

  struct Outcome {
    let directory: String
    func output(_ step: String) -> String {
      (try? String(contentsOfFile: "\(directory)/\(step)", encoding: .utf8))
        ?? "(\(step) did not run)"
    }
    func status(_ step: String) -> String {
      ((try? String(contentsOfFile: "\(directory)/\(step).status", encoding: .utf8)) ?? "none")
        .trimmingCharacters(in: .whitespacesAndNewlines)
    }
  }

  @Test func theDebInstallsAndRunsFromBootstrapToTeardown() async throws {
    try ReleasePackages.require()
    let root = try run([Deploy.path("scripts/debian-root"), "bullseye"]).output
      .trimmingCharacters(in: .whitespacesAndNewlines)
    try await withThrowawayNamespace { namespace in
      try await Deploy.withScratchDirectory(under: "/var/tmp") { scratch in
        // Mounts live in a private mount namespace and end with it.
        let harness = """
          set -euo pipefail
          root=$1 deb=$2 scratch=$3 ns=$4
          mkdir "$scratch/upper" "$scratch/work" "$scratch/merged"
          mount -t overlay overlay -o "lowerdir=$root,upperdir=$scratch/upper,workdir=$scratch/work" "$scratch/merged"
          cp "$deb" "$scratch/merged/tmp/origin-guard.deb"
          ip netns exec "$ns" unshare --mount --propagation private \\
            sh -c 'mount -t proc proc "$1/proc" && exec chroot "$1" /bin/sh -s' sh "$scratch/merged"
          """
        try run(
          [
            "unshare", "--mount", "--propagation", "private", "bash", "-c", harness, "harness",
            root, ReleasePackages.deb, scratch, namespace.name,
          ], input: Self.steps)
        let outcome = Outcome(directory: "\(scratch)/upper/tmp/out")

        #expect(outcome.status("dpkg") == "0", "\(outcome.output("dpkg"))")
        let version = outcome.output("version").split(separator: "\n")
        #expect(version.first == Substring(ReleasePackages.version), "\(version)")
        // Debian 11's libnftnl 1.1.9 is libnftnl.so.11.5.0.
        #expect(
          version.contains { $0.hasPrefix("libnftnl: libnftnl.so.11.") }, "\(version)")
        #expect(outcome.status("bind-now") == "0", "\(outcome.output("bind-now"))")
        #expect(outcome.status("bootstrap") == "0", "\(outcome.output("bootstrap"))")
        #expect(outcome.status("status") == "0", "\(outcome.output("status"))")
        #expect(outcome.status("sync") == "0", "\(outcome.output("sync"))")
        #expect(outcome.status("synced") == "0", "\(outcome.output("synced"))")
        let synced = try Self.elements(outcome.output("synced"))
        #expect(synced == ["192.0.2.0/24", "203.0.113.0/25"], "\(outcome.output("synced"))")
        #expect(outcome.status("teardown") == "0", "\(outcome.output("teardown"))")
        #expect(
          !outcome.output("after-teardown").contains("origin_guard"),
          "\(outcome.output("after-teardown"))")
      }
    }
  }

  /// The elements of `nft -j list set` as sorted prefixes.
  static func elements(_ json: String) throws -> [String] {
    let object = try parseObject(json)
    let items = object["nftables"] as? [[String: Any]] ?? []
    let set = items.compactMap { $0["set"] as? [String: Any] }.first
    return try (set?["elem"] as? [Any] ?? []).map(NftElement.prefix).sorted()
  }
}
