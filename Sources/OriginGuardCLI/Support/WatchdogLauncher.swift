import Foundation
import OriginGuard

#if canImport(Glibc)
  import Glibc
#endif

/// Starts `origin-guard bootstrap-watchdog` detached from the bootstrap: its own session and
/// process group (no terminal, so neither Ctrl-C nor an SSH hang-up reaches it), stdin,
/// stdout and stderr on /dev/null (opened, never created), no other inherited descriptor,
/// default signal dispositions. It rolls back at the deadline if the bootstrap is gone by then.
enum WatchdogLauncher {
  static func start(id: String, configPath: String) throws -> pid_t {
    let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    let config = URL(fileURLWithPath: configPath).standardizedFileURL.path
    let arguments = [executable, "bootstrap-watchdog", "--id", id, "--config", config]

    switch ChildSpawn.spawn(arguments, grouping: .ownSession) {
    case .success(let pid): return pid
    case .failure(let error): throw WatchdogError(detail: "posix_spawn \(executable): \(error)")
    }
  }
}

struct WatchdogError: Error, CustomStringConvertible {
  let detail: String
  var description: String {
    "cannot start the rollback watchdog (\(detail)); nothing was applied. Without it a killed bootstrap would leave the lock-down in place until the next origin-guard run"
  }
}
