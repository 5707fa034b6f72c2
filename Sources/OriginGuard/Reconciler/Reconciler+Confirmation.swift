import AddressSet
import AddressSources
import Foundation

/// What a sync did about one pending update of a source with `confirm_after`.
public struct UpdateConfirmation: Sendable {
  public var source: String
  public var update: PendingUpdate
  /// The provider's answer, or why nothing was sent; a failure changes nothing but the log.
  public var result: Result<ConfirmationAnswer, SourceError>

  /// `source esa: confirmed ESA site 1's update pending since … (request id R-1)`
  public var description: String {
    let what = "\(update.subject)'s update pending since \(update.since.formatted(.iso8601))"
    switch result {
    case .success(.confirmed(let requestID)):
      return "source \(source): confirmed \(what)" + (requestID.map { " (request id \($0))" } ?? "")
    case .success(.notSent(let reason)):
      return "source \(source): did not confirm \(what): \(reason)"
    case .failure(let error):
      return "could not confirm \(what), tried again at the next sync: \(error)"
    }
  }
}

extension Reconciler {
  /// After a successful sync: confirms each pending update that has been pending for its
  /// source's `confirm_after` and whose lists the kernel now holds (`holding`, what the sync
  /// applied and verified, or found in place). Only freshly fetched sources: a last-known-good
  /// list says nothing of what the provider publishes now. Never throws: the firewall is
  /// already right, and a failed confirmation is simply tried again next time.
  func confirmPendingUpdates(_ outcomes: [SourceOutcome], holding applied: DualStackSet) async
    -> [UpdateConfirmation]
  {
    let now = environment.now()
    var confirmations: [UpdateConfirmation] = []
    for outcome in outcomes {
      guard case .fresh(let result) = outcome, !result.pendingUpdates.isEmpty,
        let config = configuration.sources.first(where: { $0.name == result.source }),
        let source = environment.makeSource(config, environment.sourceContext)
          as? any UpdateConfirming,
        let after = source.confirmAfter
      else { continue }
      for update in result.pendingUpdates
      where now.timeIntervalSince(update.since) >= after.timeInterval {
        // The source's list holds both of the update's lists (`list: union`).
        guard result.set.subtracting(applied).isEmpty else {
          logger.warning(
            "source \(result.source): not confirming \(update.subject)'s update: the kernel does not hold all of its addresses"
          )
          continue
        }
        if Task.isCancelled { return confirmations }
        let confirmation: UpdateConfirmation
        do throws(SourceError) {
          confirmation = UpdateConfirmation(
            source: result.source, update: update,
            result: .success(try await source.confirm(update)))
        } catch {
          confirmation = UpdateConfirmation(
            source: result.source, update: update, result: .failure(error))
        }
        switch confirmation.result {
        case .success(.confirmed): logger.notice("\(confirmation.description)")
        default: logger.warning("\(confirmation.description)")
        }
        confirmations.append(confirmation)
      }
    }
    return confirmations
  }
}
