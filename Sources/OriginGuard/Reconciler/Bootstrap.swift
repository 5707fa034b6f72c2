import Foundation
import Netfilter

/// The first lock-down of an origin, with a way back: apply, then wait for a confirmation and
/// restore exactly the earlier table (or its absence) if none comes. An operator who locked
/// themselves out gets their access back when the timeout runs out.
public struct Bootstrap: Sendable {
  public enum Outcome: Sendable {
    case confirmed(CycleReport)
    case rolledBack(CycleReport)
  }

  public let reconciler: Reconciler

  public init(reconciler: Reconciler) {
    self.reconciler = reconciler
  }

  /// - Parameter confirmed: waits for the operator and returns whether they confirmed; called
  ///   after the apply, only when something was applied.
  public func run(force: Bool, confirmed: @Sendable () async -> Bool) async throws(CycleError)
    -> Outcome
  {
    let backend = reconciler.environment.backend
    let ruleset = reconciler.configuration.ruleset
    let store = reconciler.store
    let previous: TableState?
    do {
      previous = try backend.readTable(named: ruleset.tableName, withElements: true)
    } catch {
      throw .kernel(error)
    }
    let previousHeader = FileManager.default.contents(atPath: store.headerPath)
    // The lists that header names: the cycle's save removes the ones it no longer needs.
    let previousLists = Self.listFiles(named: previousHeader, in: store)
    try? FileManager.default.removeItem(atPath: store.confirmationPath)

    // The preview already named the sources of removed prefixes.
    let report = try await reconciler.cycle(
      Reconciler.Options(apply: true, force: force, traceRemovals: false))
    guard report.applied else { return .confirmed(report) }
    if await confirmed() { return .confirmed(report) }

    reconciler.environment.logger.warning("bootstrap was not confirmed: rolling back")
    do {
      try backend.apply(
        Self.restoreTransaction(previous, ruleset: ruleset), expectedGeneration: nil)
    } catch {
      throw .kernel(error)
    }
    do {
      if let previousHeader {
        for (file, data) in previousLists {
          try AtomicFile.write(data, to: store.listsDirectory + "/" + file)
        }
        try AtomicFile.write(previousHeader, to: store.headerPath)
      } else {
        try? FileManager.default.removeItem(atPath: store.headerPath)
      }
    } catch {
      throw .state(error)
    }
    return .rolledBack(report)
  }

  /// The contents of the list files a saved header names, by file name.
  static func listFiles(named header: Data?, in store: StateStore) -> [String: Data] {
    guard let header, let decoded = try? StateStore.decoder.decode(StateHeader.self, from: header)
    else { return [:] }
    var lists: [String: Data] = [:]
    for file in [decoded.applied.file] + decoded.sources.values.map(\.list.file) {
      lists[file] = FileManager.default.contents(atPath: store.listsDirectory + "/" + file)
    }
    return lists
  }

  /// Puts back the table exactly as it was read, or removes ours when there was none.
  static func restoreTransaction(_ previous: TableState?, ruleset: GuardRuleset) -> Transaction {
    guard let previous else { return ruleset.uninstallTransaction() }
    var transaction = Transaction()
    transaction.recreate(previous.table)
    for (set, elements) in (previous.elements ?? [:]).sorted(by: { $0.key < $1.key }) {
      switch elements {
      case .ipv4(let ranges): transaction.addElements(ranges, set: set, table: previous.table.name)
      case .ipv6(let ranges): transaction.addElements(ranges, set: set, table: previous.table.name)
      }
    }
    return transaction
  }
}

/// Waits for `origin-guard confirm`, which creates the confirmation file in the state
/// directory, polling until the deadline.
public struct ConfirmationFile: Sendable {
  public let path: String

  public init(store: StateStore) {
    path = store.confirmationPath
  }

  /// `origin-guard confirm`.
  public func confirm() throws(StateError) {
    try AtomicFile.write(Data("confirmed\n".utf8), to: path)
  }

  public func wait(timeout: Duration) async -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
      if FileManager.default.fileExists(atPath: path) {
        try? FileManager.default.removeItem(atPath: path)
        return true
      }
      try? await Task.sleep(for: .milliseconds(200))
      if Task.isCancelled { return false }
    }
    return false
  }
}
