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

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    ExternalCommand.closeInheritedDescriptors(in: &actions)

    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    let signalFlags = ExternalCommand.resetSignals(in: &attributes)
    posix_spawnattr_setflags(&attributes, Int16(Self.setSessionFlag | signalFlags))

    var pid: pid_t = 0
    let argv = arguments.map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    let code = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
    guard code == 0 else {
      throw WatchdogError(detail: "posix_spawn \(executable): \(String(cString: strerror(code)))")
    }
    return pid
  }

  /// `POSIX_SPAWN_SETSID` (glibc 2.26): Swift does not see the `__USE_GNU` part of spawn.h.
  static let setSessionFlag: Int32 = 0x80
}

struct WatchdogError: Error, CustomStringConvertible {
  let detail: String
  var description: String {
    "cannot start the rollback watchdog (\(detail)); nothing was applied. Without it a killed bootstrap would leave the lock-down in place until the next origin-guard run"
  }
}
