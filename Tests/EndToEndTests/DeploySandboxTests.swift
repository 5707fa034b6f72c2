import Foundation
import TestSupport
import Testing

/// The units' sandbox rebuilt without systemd (these machines have no systemd as PID 1), around
/// the real binary in a throwaway network namespace: if origin-guard needed more than the units
/// give it, the timer, the boot-time restore and the daemon would fail on every host.
///
/// - `ProtectSystem=strict` + `StateDirectory=` + `ReadWritePaths=`: every mount read-only
///   except the state and metrics directories;
/// - `ProtectKernelTunables=`: /proc/sys read-only; `ProtectHome=`: /root and /home
///   inaccessible; `PrivateTmp=`: empty /tmp and /var/tmp;
/// - `MemoryDenyWriteExecute=`: the kernel's PR_SET_MDWE (Linux 6.3 and later);
/// - `CapabilityBoundingSet=CAP_NET_ADMIN` + `NoNewPrivileges=`: setpriv.
///
/// `SystemCallFilter=` is checked separately, from a trace (DeploySyscallTests).
@Suite("The units' sandbox", .enabled(if: KernelTests.enabled))
struct DeploySandboxTests {
  static let harness = """
    set -eu
    scratch=$1; serve=$2; shift 2
    if [ "$serve" = yes ]; then
    \(Deploy.serveHTTP("$scratch/www"))
    fi
    # Namespace handles of other tests come and go under /run/netns; they hold no files.
    mounts=$(findmnt -rno TARGET | grep -vE '^/(proc|sys|dev|run/netns)(/|$)')
    mount --bind "$scratch/state" "$scratch/state"
    mount --bind "$scratch/metrics" "$scratch/metrics"
    for mount in $mounts; do [ ! -e "$mount" ] || mount -o remount,bind,ro "$mount"; done
    mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys
    for home in /root /home; do [ -d $home ] && mount -t tmpfs -o ro,mode=000 tmpfs $home; done
    mount -t tmpfs -o mode=1777 tmpfs /tmp && mount -t tmpfs -o mode=1777 tmpfs /var/tmp
    status=0
    /usr/bin/python3 - "$@" <<'PYTHON' || status=$?
    import ctypes, errno, os, sys
    PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN = 65, 1
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) != 0:
        if ctypes.get_errno() != errno.EINVAL:
            sys.exit("PR_SET_MDWE: " + os.strerror(ctypes.get_errno()))
        print("sandbox: this kernel has no PR_SET_MDWE; running without it", file=sys.stderr)
    os.execvp("setpriv", ["setpriv", "--no-new-privs", "--bounding-set=-all,+net_admin",
                          "--inh-caps=-all,+net_admin", "--"] + sys.argv[1:])
    PYTHON
    exit $status
    """

  /// Runs `origin-guard <arguments>` inside the sandbox in the namespace.
  func sandboxed(
    _ namespace: ThrowawayNamespace, scratch: String, serve: Bool, _ arguments: [String]
  ) throws -> CommandResult {
    // A copy beside the configuration: the build directory may be under /tmp (a clone in
    // /tmp, as CI makes), which the sandbox hides behind an empty /tmp.
    let binary = "\(scratch)/origin-guard"
    if !FileManager.default.fileExists(atPath: binary) {
      try FileManager.default.copyItem(atPath: OriginGuardBinary.path, toPath: binary)
    }
    return try namespace.run(
      [
        "unshare", "--mount", "--propagation", "private", "bash", "-c", Self.harness, "harness",
        scratch, serve ? "yes" : "no", binary,
      ] + arguments + ["-c", "\(scratch)/config.yaml"],
      check: false)
  }

  @Test func syncStatusCheckRestoreAndDaemonWorkInsideTheSandbox() async throws {
    try await withThrowawayNamespace { namespace in
      // Not under /tmp: the sandbox puts an empty /tmp over it.
      try await Deploy.withScratchDirectory(under: "/run") { scratch in
        for directory in ["state", "metrics", "www"] {
          try FileManager.default.createDirectory(
            atPath: "\(scratch)/\(directory)", withIntermediateDirectories: false,
            attributes: [.posixPermissions: 0o700])
        }
        try Deploy.write(
          "203.0.113.0/24\n2001:db8:1::/48\n", to: "\(scratch)/www/list.txt", mode: 0o644)
        try Deploy.write(
          """
          sources:
            - name: cdn
              type: url
              url: http://127.0.0.1:8080/list.txt
              format: text
              retry_max_attempts: 1
            - name: health-checks
              type: static
              addresses: [198.51.100.0/24]
          state_dir: \(scratch)/state
          metrics_file: \(scratch)/metrics/origin_guard.prom
          """, to: "\(scratch)/config.yaml")

        // The timer's job.
        let sync = try sandboxed(namespace, scratch: scratch, serve: true, ["sync", "--wait"])
        try #require(sync.status == 0, "sync: \(sync.errorOutput)")
        let table = try namespace.nft("list", "table", "inet", "origin_guard").output
        #expect(table.contains("203.0.113.0/24") && table.contains("2001:db8:1::/48"))
        let metrics = try String(
          contentsOfFile: "\(scratch)/metrics/origin_guard.prom", encoding: .utf8)
        #expect(metrics.contains("origin_guard_last_success_timestamp_seconds"))
        // node_exporter runs as another user: the file must be world-readable despite UMask=0077.
        let mode =
          try FileManager.default.attributesOfItem(atPath: "\(scratch)/metrics/origin_guard.prom")[
            .posixPermissions] as? Int
        #expect(mode == 0o644)

        let status = try sandboxed(namespace, scratch: scratch, serve: false, ["status"])
        #expect(status.status == 0, "status: \(status.errorOutput)")
        #expect(status.output.contains("present"))
        let check = try sandboxed(
          namespace, scratch: scratch, serve: false, ["check", "203.0.113.7"])
        #expect(check.status == 0, "check: \(check.errorOutput)")

        // A reboot empties the ruleset; the restore unit puts the list back with no network.
        try namespace.nft("delete", "table", "inet", "origin_guard")
        let restore = try sandboxed(
          namespace, scratch: scratch, serve: false, ["sync", "--from-cache"])
        #expect(restore.status == 0, "sync --from-cache: \(restore.errorOutput)")
        #expect(
          try namespace.nft("list", "table", "inet", "origin_guard").output.contains(
            "203.0.113.0/24"))

        // The daemon's job, one cycle.
        let daemon = try sandboxed(
          namespace, scratch: scratch, serve: true, ["run", "--cycles", "1"])
        #expect(daemon.status == 0, "run: \(daemon.errorOutput)")
      }
    }
  }

  @Test func theSandboxReallyConfines() async throws {
    try await withThrowawayNamespace { namespace in
      try await Deploy.withScratchDirectory(under: "/run") { scratch in
        for directory in ["state", "metrics"] {
          try FileManager.default.createDirectory(
            atPath: "\(scratch)/\(directory)", withIntermediateDirectories: false)
        }
        // Same harness, another program: what the sandbox lets through.
        let probe = try namespace.run(
          [
            "unshare", "--mount", "--propagation", "private", "bash", "-c", Self.harness, "harness",
            scratch, "no", "bash", "-c",
            """
            test -w /etc && echo etc-writable
            test -w \(scratch) && echo scratch-writable
            touch \(scratch)/state/og-probe && echo state-writable
            test -w /proc/sys/net/ipv4/ip_forward && echo sysctl-writable
            ls /root >/dev/null 2>&1 && echo home-readable
            grep CapBnd /proc/self/status
            grep NoNewPrivs /proc/self/status
            """,
          ], check: false)
        #expect(probe.status == 0, "\(probe.errorOutput)")
        let lines = Set(
          probe.output.split(separator: "\n").map { $0.replacingOccurrences(of: "\t", with: " ") })
        #expect(lines.contains("state-writable"))
        #expect(!lines.contains("etc-writable"))
        #expect(!lines.contains("scratch-writable"))
        #expect(!lines.contains("sysctl-writable"))
        #expect(!lines.contains("home-readable"))
        #expect(lines.contains("CapBnd: 0000000000001000"), "CAP_NET_ADMIN (bit 12) alone")
        #expect(lines.contains("NoNewPrivs: 1"))
      }
    }
  }
}
