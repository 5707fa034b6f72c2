/// Exit codes of every command, documented in README and `--help`.
public enum ExitCode: Int32, Sendable, CaseIterable {
  /// Success; for `plan --detailed-exitcode`: in sync.
  case success = 0
  /// An error: kernel, state directory, configuration.
  case failure = 1
  /// `plan --detailed-exitcode`: changes pending.
  case changesPending = 2
  /// A guard refused the list; nothing changed.
  case refused = 3
  /// Another run holds the lock (without `--wait`).
  case locked = 4
  /// A source failed and no last-known-good list could stand in; nothing changed.
  case sourceFailed = 5
  /// `bootstrap` was not confirmed in time and rolled back.
  case rolledBack = 6
  /// `check`: the address is not allowed.
  case notAllowed = 7
  /// The kernel was updated but the state directory could not record it (disk full): run
  /// `sync` again once there is space, or a reboot restores the previous list.
  case appliedNotSaved = 8

  public var meaning: String {
    switch self {
    case .success: "success (plan --detailed-exitcode: in sync)"
    case .failure: "error (kernel, state directory, configuration)"
    case .changesPending: "plan --detailed-exitcode: changes pending"
    case .refused: "refused by a guard; nothing changed"
    case .locked: "another run holds the lock (use --wait to queue)"
    case .sourceFailed: "a source failed with no usable last-known-good list; nothing changed"
    case .rolledBack: "bootstrap not confirmed in time; rolled back"
    case .notAllowed: "check: the address is not allowed"
    case .appliedNotSaved:
      "the kernel WAS updated but the state could not be saved (disk full?): free space, run sync again"
    }
  }
}
