import AddressSources
import Foundation
import Logging
import Netfilter

/// Everything a cycle touches outside its own values: the kernel, the sources, time, the
/// identity of the kernel it talks to. The command line builds the real one; tests a fake.
public struct ReconcilerEnvironment: Sendable {
  public var backend: any NetfilterBackend
  public var sourceContext: SourceContext
  public var makeSource: @Sendable (SourceConfig, SourceContext) -> any AddressSource
  /// Identifies the kernel and network namespace: a saved generation is meaningful only in
  /// the same one (generations start over at boot and differ between namespaces).
  public var kernelIdentity: @Sendable () -> String
  public var now: @Sendable () -> Date
  public var logger: Logger
  /// The ruleset's change events, when followed: they tell a commit refused because a
  /// neighbour committed (which can be re-sent as it is) from one that met a change to our
  /// table.
  public var rulesetWatch: RulesetWatch? = nil

  public init(
    backend: any NetfilterBackend, sourceContext: SourceContext,
    makeSource: @escaping @Sendable (SourceConfig, SourceContext) -> any AddressSource =
      AddressSources.makeSource,
    kernelIdentity: @escaping @Sendable () -> String = KernelIdentity.current,
    now: @escaping @Sendable () -> Date = Date.init,
    logger: Logger
  ) {
    self.backend = backend
    self.sourceContext = sourceContext
    self.makeSource = makeSource
    self.kernelIdentity = kernelIdentity
    self.now = now
    self.logger = logger
  }
}

/// The boot id and the network namespace of this process.
public enum KernelIdentity {
  @Sendable public static func current() -> String {
    let namespace =
      (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/net")) ?? "net:?"
    return "\(BootID.current()) \(namespace)"
  }
}
