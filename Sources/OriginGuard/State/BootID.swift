import Foundation

/// The kernel's boot id. The ruleset generation starts over at boot, so a saved generation
/// means something only together with the boot it was seen in.
public enum BootID {
  public static func current(path: String = "/proc/sys/kernel/random/boot_id") -> String {
    (try? String(contentsOfFile: path, encoding: .utf8))?
      .trimmingCharacters(in: .whitespacesAndNewlines) ?? "unknown"
  }
}
