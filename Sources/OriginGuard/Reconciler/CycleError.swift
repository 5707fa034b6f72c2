import AddressSet
import AddressSources
import Netfilter

/// Why a cycle stopped before changing the kernel (or, for `.kernel`, while trying to).
/// Every case leaves the kernel as it was: batches are atomic.
public enum CycleError: Error, Sendable, CustomStringConvertible {
  /// Sources failed with no usable last-known-good list.
  case sourcesFailed([SourceOutcome])
  /// A guard refused the list; nothing was changed.
  case refused([GuardRefusal], plan: Plan?)
  case kernel(NetfilterError)
  case state(StateError)
  /// The ruleset kept changing under us through every retry.
  case generationKeptChanging(attempts: Int)
  /// After the commit, the kernel did not hold what was committed.
  case verificationFailed(String)
  /// The saved lists were asked for (`--from-cache`, `export`) and a source has none.
  case noCache(source: String)
  /// The daemon is shutting down; the cycle stopped before applying anything.
  case cancelled
  /// The one case that is not "nothing changed": the kernel holds the new list (`added`,
  /// `removed` prefixes), but the state directory could not record it (a full disk), so the
  /// boot restore would still put back the previous list.
  case appliedButNotSaved(StateError, directory: String, added: Int, removed: Int)

  public var description: String {
    switch self {
    case .sourcesFailed(let outcomes):
      "the kernel was not changed because sources failed: "
        + outcomes.compactMap { outcome in
          guard case .failed(let error, let age) = outcome else { return nil }
          return error.description
            + (age.map {
              " (last-known-good list is \(DurationText.describe($0)) old, older than max_stale)"
            }
              ?? " (no last-known-good list)")
        }.joined(separator: "; ")
    case .refused(let refusals, _):
      "refused, the kernel was not changed: "
        + MessageLimit.list(refusals.map(\.description), noun: "refusals")
    case .kernel(let error): error.description
    case .state(let error): error.description
    case .generationKeptChanging(let attempts):
      "the nftables ruleset changed under us \(attempts) times in a row; another program is rewriting it continuously. Nothing was applied."
    case .verificationFailed(let detail):
      "after applying, the kernel does not hold what was applied: \(detail). Run `origin-guard status` and `nft list table inet <table>`."
    case .noCache(let source):
      "source \(source) has no last-known-good list yet (no sync has fetched it on this host); run `origin-guard sync` first"
    case .cancelled:
      "shutting down: the cycle stopped before applying anything"
    case .appliedButNotSaved(let error, let directory, let added, let removed):
      "the kernel WAS updated (added \(added), removed \(removed) prefixes: it holds the new list "
        + "now), but the state could not be saved: \(error) Until a sync saves it, a reboot "
        + "restores the previous list (the boot restore runs `sync --from-cache` from the saved "
        + "state), and the size guards compare against the previous list. Free space in "
        + "\(directory) and run `origin-guard sync` again."
    }
  }

  /// The process exit code for this failure (see `ExitCode`).
  public var exitCode: ExitCode {
    switch self {
    case .sourcesFailed, .noCache: .sourceFailed
    case .refused: .refused
    case .state(.locked), .state(.bootstrapWaiting): .locked
    case .appliedButNotSaved: .appliedNotSaved
    default: .failure
    }
  }
}
