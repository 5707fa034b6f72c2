/// Which directories may be a `state_dir`: not a system directory, because origin-guard keeps
/// and deletes files there by name, and `teardown --purge-state` empties it of them. One rule
/// for `validate` (and every configuration load) and for the state store itself.
enum StateDirectoryPolicy {
  struct Problem: Equatable {
    var reason: String
    var fix: String
  }

  static let systemDirectories: Set<String> = [
    "/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64", "/libx32",
    "/media", "/mnt", "/opt", "/proc", "/root", "/run", "/run/user", "/sbin", "/srv", "/sys",
    "/tmp", "/usr", "/usr/bin", "/usr/lib", "/usr/lib64", "/usr/local", "/usr/sbin",
    "/usr/share", "/var", "/var/cache", "/var/lib", "/var/log", "/var/run", "/var/spool",
    "/var/tmp", "/var/opt", "/var/mail", "/var/backups", "/etc/systemd",
  ]

  static func problem(_ path: String) -> Problem? {
    let normal = normalized(path)
    guard systemDirectories.contains(normal) else { return nil }
    return Problem(
      reason: "it is the system directory \(normal)",
      fix:
        "origin-guard writes and deletes its own files in state_dir; give it a directory of its own, such as /var/lib/origin-guard."
    )
  }

  /// `/var//lib/./x/..` → `/var/lib`, without looking at the disk.
  static func normalized(_ path: String) -> String {
    var parts: [Substring] = []
    for part in path.split(separator: "/") {
      switch part {
      case ".": continue
      case "..": _ = parts.popLast()
      default: parts.append(part)
      }
    }
    return "/" + parts.joined(separator: "/")
  }
}
