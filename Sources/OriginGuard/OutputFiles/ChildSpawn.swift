import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// How origin-guard starts every child (an output's `check` and `on_change`, the bootstrap
/// watchdog, and the tests' programs): `posix_spawnp`, standard descriptors given or
/// /dev/null, none other inherited, no signal blocked or ignored.
public enum ChildSpawn {
  /// Where the child stands against our terminal and process group.
  public enum Grouping: Sendable {
    /// A new process group led by the child: a timeout can signal everything it started.
    case ownGroup
    /// A new session (no controlling terminal): neither Ctrl-C nor a hang-up reaches it.
    case ownSession
  }

  /// Why `posix_spawnp` refused: its error number.
  public struct Failure: Error, CustomStringConvertible {
    public let code: Int32
    public var description: String { String(cString: strerror(code)) }
  }

  /// Starts `arguments` (a name without a slash is looked up on PATH). Descriptors nil are
  /// /dev/null; the ones given become the child's 0, 1 and 2 and stay the caller's to close.
  public static func spawn(
    _ arguments: [String], standardInput: Int32? = nil, standardOutput: Int32? = nil,
    standardError: Int32? = nil, grouping: Grouping
  ) -> Result<pid_t, Failure> {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    for (target, source, flags) in [
      (Int32(0), standardInput, O_RDONLY), (1, standardOutput, O_WRONLY),
      (2, standardError, O_WRONLY),
    ] {
      if let source {
        posix_spawn_file_actions_adddup2(&actions, source, target)
      } else {
        posix_spawn_file_actions_addopen(&actions, target, "/dev/null", flags, 0)
      }
    }
    closeInheritedDescriptors(in: &actions)

    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var flags = resetSignals(in: &attributes)
    switch grouping {
    case .ownGroup:
      posix_spawnattr_setpgroup(&attributes, 0)
      flags |= POSIX_SPAWN_SETPGROUP
    case .ownSession:
      flags |= setSessionFlag
    }
    posix_spawnattr_setflags(&attributes, Int16(flags))

    var pid: pid_t = 0
    let argv = arguments.map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    let code = posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, environ)
    return code == 0 ? .success(pid) : .failure(Failure(code: code))
  }

  /// `POSIX_SPAWN_SETSID` (glibc 2.26): Swift does not see the `__USE_GNU` part of spawn.h.
  private static let setSessionFlag: Int32 = 0x80

  /// Makes `actions` close every descriptor above stderr in the child: a child must not hold, say, a pipe our own caller reads to EOF. With glibc
  /// 2.34 or later the child closes them itself (`posix_spawn_file_actions_addclosefrom_np`),
  /// which also covers a descriptor another thread opens while we spawn; an older C library
  /// gets the ones open now that an exec would keep, which leaves that race (50 commands
  /// against a thread opening pipes got leaked ones in 3 of 3 runs): every descriptor of ours
  /// is close-on-exec for that reason.
  private static func closeInheritedDescriptors(in actions: inout posix_spawn_file_actions_t) {
    if let closeFrom = addCloseFrom, closeFrom(&actions, 3) == 0 { return }
    let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
    let open = names.compactMap(Int32.init).filter { fd in
      guard fd > 2 else { return false }
      let flags = fcntl(fd, F_GETFD)
      return flags >= 0 && flags & FD_CLOEXEC == 0
    }
    for fd in open.sorted() { posix_spawn_file_actions_addclose(&actions, fd) }
  }

  /// Makes `attributes` start the child with no signal blocked or ignored, as a shell would
  /// (ours may be blocked for a signal stream, and SIGPIPE ignored); returns the flags to set.
  private static func resetSignals(in attributes: inout posix_spawnattr_t) -> Int32 {
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for number: Int32 in 1...31 where number != SIGKILL && number != SIGSTOP {
      sigaddset(&defaults, number)
    }
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    var mask = sigset_t()
    sigemptyset(&mask)
    posix_spawnattr_setsigmask(&attributes, &mask)
    return POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK
  }

  private typealias AddCloseFrom =
    @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

  /// Looked up at run time: the release binary is linked against glibc 2.31, where it is
  /// missing, and the Glibc module does not import this GNU extension anyway.
  private static let addCloseFrom: AddCloseFrom? = dlsym(
    nil, "posix_spawn_file_actions_addclosefrom_np"
  ).map { unsafeBitCast($0, to: AddCloseFrom.self) }
}
