import Foundation

/// What origin-guard knows of its outputs across runs, in `state_dir/outputs.json`: the
/// content each one last completed (written, checked, its `on_change` run) and its errors.
/// An output whose content was written but whose `on_change` failed, or a run killed between
/// the two, has no new fingerprint here, so the next sync does both again.
public struct OutputLedger: Codable, Sendable, Equatable {
  public struct Entry: Codable, Sendable, Equatable {
    public var path: String?
    /// Of the content without its time line, with the mode and owner it was written with.
    public var fingerprint: String?
    public var completedAt: Date?
    public var errorsTotal: Int = 0
    public var lastError: String?
    public var lastErrorAt: Date?

    public init() {}

    enum CodingKeys: String, CodingKey {
      case path, fingerprint
      case completedAt = "completed_at"
      case errorsTotal = "errors_total"
      case lastError = "last_error"
      case lastErrorAt = "last_error_at"
    }
  }

  /// By output name.
  public var outputs: [String: Entry] = [:]

  public init() {}
}

extension StateStore {
  public var outputLedgerPath: String { directory + "/" + StateFileNames.outputLedger }

  /// The ledger, or an empty one when there is none or it cannot be decoded (every output is
  /// then written afresh). Throws when someone else could have written it (`FileTrust`).
  public func loadOutputLedger() throws(StateError) -> OutputLedger {
    try checkDirectory()
    guard let data = try readTrusted(outputLedgerPath),
      let ledger = try? Self.decoder.decode(OutputLedger.self, from: data)
    else { return OutputLedger() }
    return ledger
  }

  public func saveOutputLedger(_ ledger: OutputLedger) throws(StateError) {
    try prepare()
    do {
      try AtomicFile.write(try Self.encoder.encode(ledger), to: outputLedgerPath)
    } catch let error as StateError {
      throw error
    } catch {
      throw .corrupt(path: outputLedgerPath, reason: "cannot encode: \(error)")
    }
  }
}
