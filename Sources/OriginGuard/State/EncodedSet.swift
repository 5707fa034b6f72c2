import AddressSet
import Foundation

/// An allow-list in the form the state directory stores it, with its checksum: encoded once
/// per cycle, then used both to ask "is this what the last sync applied?" and to save it.
public struct EncodedSet: Sendable {
  public let set: DualStackSet
  let data: [UInt8]
  /// `sha256:<hex>` of `data`, as `StateHeader.ListFile.checksum` records it.
  public let checksum: String

  public init(_ set: DualStackSet) {
    self.set = set
    data = ListFileCodec.encode(set)
    checksum = StateStore.checksum(data)
  }
}
