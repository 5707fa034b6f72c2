import Foundation
import Logging

/// Time, for timestamps and retry delays. Injected so tests neither wait nor depend on the date.
public protocol SourceClock: Sendable {
  func now() -> Date
  /// Sleeps; throws `CancellationError` when the task is cancelled.
  func sleep(for duration: Duration) async throws
}

/// The real clock.
public struct SystemSourceClock: SourceClock {
  public init() {}
  public func now() -> Date { Date() }
  public func sleep(for duration: Duration) async throws { try await Task.sleep(for: duration) }
}

/// The process's environment variables and home directory, read once at the edge of the
/// program and passed in: logic never reads globals, so tests are hermetic.
public struct ProcessEnvironment: Sendable {
  public var variables: [String: String]
  public var homeDirectory: String

  public init(variables: [String: String], homeDirectory: String) {
    self.variables = variables
    self.homeDirectory = homeDirectory
  }

  /// The running process's environment. Call this in `main`, not in library code.
  public static func current() -> ProcessEnvironment {
    let variables = ProcessInfo.processInfo.environment
    return ProcessEnvironment(
      variables: variables,
      homeDirectory: variables["HOME"] ?? FileManager.default.homeDirectoryForCurrentUser.path)
  }

  /// A non-empty variable, or nil.
  subscript(_ name: String) -> String? {
    guard let value = variables[name], !value.isEmpty else { return nil }
    return value
  }

  func flag(_ name: String) -> Bool { self[name]?.lowercased() == "true" }

  /// Expands a leading `~/` to the home directory.
  func expandingTilde(_ path: String) -> String {
    if path == "~" { return homeDirectory }
    if path.hasPrefix("~/") { return homeDirectory + "/" + path.dropFirst(2) }
    return path
  }
}

/// What sources need from the program around them.
public struct SourceContext: Sendable {
  public var logger: Logger
  public var clock: any SourceClock
  public var environment: ProcessEnvironment
  /// Remembers ETag / Last-Modified and the parsed list between runs for `url` sources.
  /// Without one every run downloads the full document.
  public var fetchStore: (any ConditionalFetchStore)?
  /// Alibaba Cloud credential chains, shared by every cycle that uses this context.
  public var credentialChains: CredentialChainRegistry

  public init(
    logger: Logger, clock: any SourceClock = SystemSourceClock(), environment: ProcessEnvironment,
    fetchStore: (any ConditionalFetchStore)? = nil,
    credentialChains: CredentialChainRegistry = CredentialChainRegistry()
  ) {
    self.credentialChains = credentialChains
    self.logger = logger
    self.clock = clock
    self.environment = environment
    self.fetchStore = fetchStore
  }
}

// Values include secrets (ALIBABA_CLOUD_ACCESS_KEY_SECRET, security tokens): whatever prints a
// value holding the environment (a log of a service, an error) shows the names only.
extension ProcessEnvironment: CustomStringConvertible, CustomDebugStringConvertible {
  public var description: String {
    "ProcessEnvironment(\(variables.keys.sorted().joined(separator: ", ")); values hidden)"
  }
  public var debugDescription: String { description }
}
