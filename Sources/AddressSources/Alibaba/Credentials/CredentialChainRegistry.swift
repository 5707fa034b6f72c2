import Foundation
import Logging

/// The credential chains of a process's sources, kept across update cycles: sources are
/// built afresh for every cycle, and temporary credentials (STS, OIDC, ECS) would otherwise be
/// fetched again every time instead of being reused until shortly before they expire.
///
/// A chain is reused for the same source name and the same credentials configuration; a
/// reloaded configuration with other credentials gets a new chain.
public final class CredentialChainRegistry: @unchecked Sendable {
  private struct Key: Hashable {
    let source: String
    let config: AlibabaCredentialsConfig
  }
  // Guarded by `lock`; a dictionary of actors, so the lock is held only to look one up.
  private var chains: [Key: AlibabaCredentialChain] = [:]
  private let lock = NSLock()

  public init() {}

  func chain(
    source: String, config: AlibabaCredentialsConfig, environment: ProcessEnvironment,
    clock: any SourceClock, logger: Logger
  ) -> AlibabaCredentialChain {
    lock.withLock {
      let key = Key(source: source, config: config)
      if let chain = chains[key] { return chain }
      // One chain per source name: a replaced configuration's chain is dropped.
      chains = chains.filter { $0.key.source != source }
      let chain = AlibabaCredentialChain(
        config: config, environment: environment, clock: clock, logger: logger)
      chains[key] = chain
      return chain
    }
  }
}
