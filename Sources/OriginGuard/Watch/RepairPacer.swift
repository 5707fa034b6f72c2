import Foundation

/// When the daemon repairs our table after someone else changed it: shortly after a burst of
/// changes ends, and — against a program that keeps undoing our table — never more often
/// than the back-off allows, so a fight costs little CPU and says so in the log.
///
/// Up to `burst` repairs within `window` run after the debounce alone. Past that, repairs are
/// spaced `minimumSpacing` apart, doubling with every further repair up to `maximumSpacing`;
/// a whole `window` without a foreign change ends the fight.
public struct RepairPacer: Sendable {
  /// One commit's announcements arrive together; tools that write the ruleset in several
  /// commits (`nft flush ruleset` then `nft -f`, a script of `nft` commands) start one process
  /// per commit: measured 3–8 ms apart (median 3 ms, 20 commands in a namespace, 2 loaded
  /// cores). Waiting about twice the longest gap after the last change repairs once per burst
  /// instead of once per commit.
  public var debounce: Duration = .milliseconds(15)
  public var burst = 10
  public var window: Duration = .seconds(10)
  public var minimumSpacing: Duration = .seconds(1)
  public var maximumSpacing: Duration = .seconds(8)

  private var repairs: [ContinuousClock.Instant] = []
  private var changes: [ContinuousClock.Instant] = []
  private var spacing: Duration?
  private var lastRepair: ContinuousClock.Instant?

  public init() {}

  /// The spacing in force, nil while repairs are not held back.
  public var currentSpacing: Duration? { spacing }

  /// Records a foreign change to our table.
  public mutating func noteChange(at instant: ContinuousClock.Instant) {
    if let last = changes.last, instant - last > window { endFight() }
    changes.append(instant)
    changes.removeAll { instant - $0 > window }
  }

  /// When the repair of changes whose last one came at `lastChange` may run.
  public func repairTime(lastChange: ContinuousClock.Instant) -> ContinuousClock.Instant {
    let settled = lastChange + debounce
    guard let spacing, let lastRepair else { return settled }
    return max(settled, lastRepair + spacing)
  }

  /// Records a repair; returns the warning to log when the back-off starts or grows.
  public mutating func noteRepair(at instant: ContinuousClock.Instant, what: String) -> String? {
    repairs.append(instant)
    repairs.removeAll { instant - $0 > window }
    lastRepair = instant
    guard repairs.count >= burst else { return nil }
    let next = spacing.map { min($0 * 2, maximumSpacing) } ?? minimumSpacing
    defer { spacing = next }
    guard next != spacing else { return nil }
    return
      "another program keeps changing our table: \(changes.count) changes in the last \(DurationText.describe(window)) (latest: \(what)); repairing at most every \(DurationText.describe(next)) until it stops for \(DurationText.describe(window))"
  }

  private mutating func endFight() {
    spacing = nil
    repairs = []
  }
}
