import Netfilter

extension Reconciler {
  /// How often one plan is re-sent after refusals that the ruleset watch shows were caused by
  /// commits to other tables only.
  static let maxResends = 20

  /// Commits the plan against its generation. When the kernel refuses it because the
  /// generation moved, and the ruleset watch saw every commit since with none touching our
  /// table, the plan still holds: it is sent again at once against the new generation. A
  /// neighbour committing 30 times a second leaves about 30 ms between its commits, far more
  /// than a re-send takes, where re-reading and re-planning a large list takes longer.
  func applyPlanned(_ plan: Plan) throws(NetfilterError) -> UInt32 {
    var expected = plan.generation
    var resends = 0
    while true {
      do throws(NetfilterError) {
        return try backend.apply(plan.transaction, expectedGeneration: expected)
      } catch .generationChanged(let refused) {
        guard resends < Self.maxResends else { throw .generationChanged(expected: refused) }
        let current = try backend.generation()
        guard untouchedSince(expected, through: current) else {
          throw .generationChanged(expected: refused)
        }
        resends += 1
        logger.notice(
          "the ruleset changed while planning, in other tables only; sending the same batch again",
          metadata: ["generation": "\(current)"])
        expected = current
      }
    }
  }

  /// True when the ruleset watch saw every commit after `generation` up to `current`, and
  /// none touched our table: what the kernel held then in our table, it holds now.
  func untouchedSince(_ generation: UInt32, through current: UInt32) -> Bool {
    environment.rulesetWatch?.untouched(
      table: ruleset.tableName, after: generation, through: current) ?? false
  }
}
