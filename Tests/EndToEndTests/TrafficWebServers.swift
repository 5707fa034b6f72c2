import Foundation
import TestSupport

#if canImport(Glibc)
  import Glibc
#endif

/// The real nginx and Apache of the Debian packages, run inside a namespace of a topology with
/// a configuration, prefix, logs and pid file of the test's own (never the system's instance
/// or files), ended by the pid in that file (and the topology kills whatever is left in its
/// namespaces).
enum WebServerBinary: String, Sendable {
  case nginx = "/usr/sbin/nginx"
  case apache = "/usr/sbin/apache2"

  var isInstalled: Bool { access(rawValue, X_OK) == 0 }

  /// Tests that need the server run where it is installed, and always under CI=true, where
  /// a missing server fails them (scripts/setup installs both).
  var testsEnabled: Bool { KernelTests.enabled && (KernelTests.isCI || isInstalled) }

  func require() throws {
    guard isInstalled else {
      throw TrafficTestError(
        description: "\(rawValue) is missing: run scripts/setup (it installs nginx and apache2)")
    }
  }
}

/// A web server's files in a directory of its own under the topology's scratch directory.
protocol WebServerInstance: Sendable {
  var topology: Topology { get }
  var role: Topology.Role { get }
  var directory: String { get }
  var pidPath: String { get }
}

extension WebServerInstance {
  /// SIGTERM to the master, by the pid in its own pid file.
  func stop() {
    guard let text = try? String(contentsOfFile: pidPath, encoding: .utf8),
      let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 1
    else { return }
    kill(pid, SIGTERM)
  }

  /// The last line of a log under `directory`, once it has more than `after` lines.
  func logLine(_ name: String, after count: Int, timeout: Duration = .seconds(5)) async throws
    -> String
  {
    let deadline = ContinuousClock.now + timeout
    while true {
      let lines = logLines(name)
      if lines.count > count { return lines[lines.count - 1] }
      guard ContinuousClock.now < deadline else {
        throw TrafficTestError(description: "no new line in \(name) within \(timeout)")
      }
      try await Task.sleep(for: .milliseconds(20))
    }
  }

  func logLines(_ name: String) -> [String] {
    ((try? String(contentsOfFile: directory + "/" + name, encoding: .utf8)) ?? "")
      .split(separator: "\n").map(String.init)
  }
}

struct NginxInstance: WebServerInstance {
  let topology: Topology
  let role: Topology.Role
  let directory: String

  var configPath: String { directory + "/nginx.conf" }
  var pidPath: String { directory + "/nginx.pid" }
  var errorLog: String { directory + "/error.log" }

  /// `nginx -p … -c … -e …`: every path the test's own; the arguments for `check` and
  /// `on_change` too.
  var command: [String] {
    [WebServerBinary.nginx.rawValue, "-p", directory + "/", "-c", configPath, "-e", errorLog]
  }

  /// Starts nginx in `role`'s namespace with `http` inside its `http {}` block; `root` serves
  /// `index.html` (a static file, so that `allow`/`deny` decide: `return` would answer before
  /// the access phase).
  static func start(in topology: Topology, _ role: Topology.Role, name: String, http: String)
    async throws -> NginxInstance
  {
    try WebServerBinary.nginx.require()
    let directory = topology.path(name)
    try makeReadableDirectories(directory, ["", "/temp", "/www"], in: topology)
    try "ok\n".write(toFile: directory + "/www/index.html", atomically: true, encoding: .utf8)
    let server = NginxInstance(topology: topology, role: role, directory: directory)
    let temp = directory + "/temp"
    let configuration = """
      worker_processes 1;
      pid \(server.pidPath);
      error_log \(server.errorLog) notice;
      events { worker_connections 64; }
      http {
        access_log off;
        client_body_temp_path \(temp)/body;
        proxy_temp_path \(temp)/proxy;
        fastcgi_temp_path \(temp)/fastcgi;
        uwsgi_temp_path \(temp)/uwsgi;
        scgi_temp_path \(temp)/scgi;
        root \(directory)/www;
      \(http)
      }

      """
    try configuration.write(toFile: server.configPath, atomically: true, encoding: .utf8)
    try await startDaemon(server.command, in: role, of: topology, log: directory + "/start.log")
    try await waitForPidFile(server.pidPath)
    return server
  }

  /// Waits until every reload so far has replaced its worker (one per generation): until
  /// then an old worker may still answer with the old configuration.
  func waitForReloads(_ expected: Int, timeout: Duration = .seconds(15)) async throws {
    let deadline = ContinuousClock.now + timeout
    while true {
      let log = (try? String(contentsOfFile: errorLog, encoding: .utf8)) ?? ""
      let exited = log.components(separatedBy: "exited with code").count - 1
      if reloads == expected && exited >= expected { return }
      guard ContinuousClock.now < deadline, reloads <= expected else {
        throw TrafficTestError(
          description: "\(reloads) reloads (\(exited) old workers gone), expected \(expected)")
      }
      try await Task.sleep(for: .milliseconds(50))
    }
  }

  /// How often the master was told to reload (`signal 1 (SIGHUP) received from …`).
  var reloads: Int {
    ((try? String(contentsOfFile: errorLog, encoding: .utf8)) ?? "")
      .components(separatedBy: "(SIGHUP) received").count - 1
  }
}

struct ApacheInstance: WebServerInstance {
  let topology: Topology
  let role: Topology.Role
  let directory: String

  var configPath: String { directory + "/httpd.conf" }
  var pidPath: String { directory + "/httpd.pid" }

  var command: [String] { [WebServerBinary.apache.rawValue, "-d", directory, "-f", configPath] }

  /// Starts and graceful restarts completed (`AH00489: … resuming normal operations`).
  var generations: Int {
    ((try? String(contentsOfFile: directory + "/error.log", encoding: .utf8)) ?? "")
      .components(separatedBy: "resuming normal operations").count - 1
  }

  /// Starts Apache (mpm_event, the modules `configuration` needs) in `role`'s namespace.
  static func start(
    in topology: Topology, _ role: Topology.Role, name: String, configuration: String
  ) async throws -> ApacheInstance {
    try WebServerBinary.apache.require()
    let directory = topology.path(name)
    try makeReadableDirectories(directory, ["", "/www", "/www/guarded", "/run"], in: topology)
    for page in ["/www/index.html", "/www/guarded/index.html"] {
      try "ok\n".write(toFile: directory + page, atomically: true, encoding: .utf8)
    }
    let server = ApacheInstance(topology: topology, role: role, directory: directory)
    let modules = "/usr/lib/apache2/modules"
    let text = """
      ServerRoot \(directory)
      ServerName origin.test
      PidFile \(server.pidPath)
      DefaultRuntimeDir \(directory)/run
      LoadModule mpm_event_module \(modules)/mod_mpm_event.so
      LoadModule authz_core_module \(modules)/mod_authz_core.so
      LoadModule authz_host_module \(modules)/mod_authz_host.so
      LoadModule remoteip_module \(modules)/mod_remoteip.so
      User nobody
      Group nogroup
      ErrorLog \(directory)/error.log
      LogLevel notice
      DocumentRoot \(directory)/www
      <Directory \(directory)/www>
        Require all granted
      </Directory>
      \(configuration)

      """
    try text.write(toFile: server.configPath, atomically: true, encoding: .utf8)
    try await startDaemon(
      server.command + ["-k", "start"], in: role, of: topology, log: directory + "/start.log")
    try await waitForPidFile(server.pidPath)
    // The pid file comes before the signal handlers: a graceful restart sent earlier is lost.
    let deadline = ContinuousClock.now + .seconds(20)
    while server.generations == 0 {
      guard ContinuousClock.now < deadline else {
        throw TrafficTestError(description: "Apache did not finish starting within 20 s")
      }
      try await Task.sleep(for: .milliseconds(50))
    }
    return server
  }
}

/// Starts a server that daemonizes, through a launcher that resets signal handling, closes
/// every descriptor above stderr and puts the standard ones on `log`: Foundation's `Process` learns that a child
/// exited when a descriptor it shares with it closes, and a daemon (or its workers) holding
/// that or one of `run`'s pipes would keep `run` waiting for ever.
private func startDaemon(
  _ command: [String], in role: Topology.Role, of topology: Topology, log: String
) async throws {
  // The test process blocks some signals, and a blocked mask survives exec: Apache would
  // never see the SIGUSR1 of a graceful restart.
  let launcher = """
    import os, signal, sys
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    for number in (signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGTERM, signal.SIGUSR1,
                   signal.SIGUSR2, signal.SIGWINCH, signal.SIGPIPE, signal.SIGCHLD):
        signal.signal(number, signal.SIG_DFL)
    os.closerange(3, 65536)
    null = os.open("/dev/null", os.O_RDONLY)
    out = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(null, 0); os.dup2(out, 1); os.dup2(out, 2)
    os.execv(sys.argv[2], sys.argv[2:])
    """
  let result = try await topology.run(
    in: role, [TrafficProgram.python, "-c", launcher, log] + command, check: false)
  guard result.status == 0 else {
    let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
    throw TrafficTestError(
      description: "`\(command.joined(separator: " "))` exited with \(result.status): \(output)")
  }
}

/// Waits for a daemon's pid file: written once it has loaded its configuration and bound its
/// ports (a `-k graceful` or `-s reload` before it would find no server).
private func waitForPidFile(_ path: String) async throws {
  let deadline = ContinuousClock.now + .seconds(20)
  while access(path, F_OK) != 0 {
    guard ContinuousClock.now < deadline else {
      throw TrafficTestError(description: "no \(path) within 20 s")
    }
    try await Task.sleep(for: .milliseconds(50))
  }
}

/// The workers run as `nobody`: the pages and the directories above them must be readable.
private func makeReadableDirectories(_ base: String, _ subs: [String], in topology: Topology)
  throws
{
  for path in [topology.directory] + subs.map({ base + $0 }) {
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    guard chmod(path, 0o755) == 0 else {
      throw TrafficTestError(description: "chmod \(path): \(String(cString: strerror(errno)))")
    }
  }
}

extension Topology {
  /// `curl` from `role`: the HTTP status (`000` when nothing answered within a second) of
  /// a GET to `url` with `headers`.
  func httpStatus(from role: Role, _ url: String, headers: [String: String] = [:]) async throws
    -> String
  {
    var arguments = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "2"]
    for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
      arguments += ["-H", "\(name): \(value)"]
    }
    return try await run(in: role, arguments + [url], check: false).output
  }

  /// Polls `condition` until it holds (a reload takes effect in the new workers a moment after
  /// the signal), or throws with the last observation.
  func eventually(
    _ what: String, timeout: Duration = .seconds(10), _ condition: () async throws -> (Bool, String)
  ) async throws {
    let deadline = ContinuousClock.now + timeout
    var last = ""
    while ContinuousClock.now < deadline {
      let (holds, observed) = try await condition()
      if holds { return }
      last = observed
      try await Task.sleep(for: .milliseconds(100))
    }
    throw TrafficTestError(description: "\(what): still \(last) after \(timeout)")
  }
}
