import AddressSet

/// What the sources changed since our last sync, as this plan applies it: prefixes a source
/// lists that were not applied, and applied prefixes no source lists any more. Without a
/// saved state of ours every address difference counts as one.
public struct SourceChanges: Sendable, Equatable {
  public var added: [AnyIPPrefix]
  public var removed: [AnyIPPrefix]

  public init(added: [AnyIPPrefix] = [], removed: [AnyIPPrefix] = []) {
    self.added = added
    self.removed = removed
  }
}
