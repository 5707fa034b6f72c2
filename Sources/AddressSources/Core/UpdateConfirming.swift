/// A source whose provider keeps sending from the old list until its customer confirms the
/// newer one (ESA origin protection): origin-guard may confirm it once the firewall holds both.
public protocol UpdateConfirming: AddressSource {
  /// How long an update must have been pending before origin-guard confirms it; nil never.
  var confirmAfter: Duration? { get }

  /// Tells the provider to switch to the newer list of `update`, after checking that its newer
  /// list is still the one `update` describes (the firewall holds that one, not a later one).
  func confirm(_ update: PendingUpdate) async throws(SourceError) -> ConfirmationAnswer
}

/// What became of a confirmation the provider did not refuse with an error.
public enum ConfirmationAnswer: Sendable, Equatable {
  /// The provider switched; its request id.
  case confirmed(requestID: String?)
  /// Not sent, and why: the update is not the one the firewall holds any more.
  case notSent(reason: String)
}
