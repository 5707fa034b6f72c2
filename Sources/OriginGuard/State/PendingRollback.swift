import AddressSet
import Foundation
import Netfilter

/// What a waiting `bootstrap` would roll back to, written before it applies anything: the
/// deadline, the table as the kernel held it (or its absence) and the saved state, so that
/// whoever rolls back — the bootstrap itself, its watchdog or any later run — restores it
/// exactly, even after the bootstrap was killed.
public struct PendingRollback: Codable, Sendable, Equatable {
  public static let currentFormat = 1

  public var format: Int
  /// Tells one bootstrap's record from the next one's.
  public var id: String
  public var appliedAt: Date
  public var deadline: Date
  public var bootstrapPID: Int32
  /// `KernelIdentity` when it was written: boot id and network namespace.
  public var kernelIdentity: String
  public var tableName: String
  /// nil: there was no table; the rollback deletes ours.
  public var previousTable: Table?
  /// Each address set's ranges as `first-last`, by set name.
  public var previousElements: [String: [String]]
  /// `state.json` as it was, and the list files it names; nil: there was none.
  public var previousHeader: Data?
  public var previousLists: [String: Data]

  public init(
    id: String = UUID().uuidString, appliedAt: Date, deadline: Date, bootstrapPID: Int32,
    kernelIdentity: String, tableName: String, previous: TableState?, previousHeader: Data?,
    previousLists: [String: Data]
  ) {
    format = Self.currentFormat
    self.id = id
    self.appliedAt = appliedAt
    self.deadline = deadline
    self.bootstrapPID = bootstrapPID
    self.kernelIdentity = kernelIdentity
    self.tableName = tableName
    previousTable = previous?.table
    previousElements = (previous?.elements ?? [:]).mapValues(Self.text)
    self.previousHeader = previousHeader
    self.previousLists = previousLists
  }

  /// The table to restore, with its elements.
  public func previousState() throws(StateError) -> TableState? {
    guard let previousTable else { return nil }
    var elements: [String: SetElements] = [:]
    for set in previousTable.sets {
      guard let family = set.keyType.addressFamily else { continue }
      let lines = previousElements[set.name] ?? []
      switch family {
      case .ipv4:
        elements[set.name] = .ipv4(try Self.ranges(lines, set: set.name) { IPv4Address($0) })
      case .ipv6:
        elements[set.name] = .ipv6(try Self.ranges(lines, set: set.name) { IPv6Address($0) })
      }
    }
    return TableState(generation: 0, table: previousTable, elements: elements)
  }

  public func isDue(at date: Date) -> Bool { date >= deadline }

  /// Whose record it is, seen from a run in the kernel `identity` names.
  public enum Owner: Sendable, Equatable {
    /// This boot and network namespace: the bootstrap and its watchdog may still be there.
    case thisKernel
    /// Written before a reboot: the bootstrap and its watchdog are gone, so the rollback is
    /// due now, whatever the deadline.
    case earlierBoot
    /// Another network namespace of this boot: not this run's to confirm or roll back.
    case otherNamespace
  }

  public func owner(kernel identity: String) -> Owner {
    if identity == kernelIdentity { return .thisKernel }
    let boot = { (text: String) in text.split(separator: " ", maxSplits: 1).first ?? "" }
    return boot(identity) == boot(kernelIdentity) ? .otherNamespace : .earlierBoot
  }

  /// Whether a run in kernel `identity` must roll back now.
  public func mustRollBack(at date: Date, kernel identity: String) -> Bool {
    switch owner(kernel: identity) {
    case .thisKernel: isDue(at: date)
    case .earlierBoot: true
    case .otherNamespace: false
    }
  }

  private static func text(_ elements: SetElements) -> [String] {
    switch elements {
    case .ipv4(let ranges): ranges.map { "\($0.first)-\($0.last)" }
    case .ipv6(let ranges): ranges.map { "\($0.first)-\($0.last)" }
    }
  }

  private static func ranges<A: IPAddress>(
    _ lines: [String], set: String, _ parse: (String) -> A?
  ) throws(StateError) -> [AddressRange<A>] {
    var ranges: [AddressRange<A>] = []
    for line in lines {
      let parts = line.split(separator: "-", maxSplits: 1).map(String.init)
      guard parts.count == 2, let first = parse(parts[0]), let last = parse(parts[1]), first <= last
      else {
        throw .corrupt(path: "bootstrap/pending.json", reason: "set \(set): bad range \(line)")
      }
      ranges.append(AddressRange(first: first, last: last))
    }
    return ranges
  }
}
