import Netfilter
import TestSupport

/// The two backends the shared semantics tests run against: the fake, and the kernel in a
/// throwaway namespace. The kernel variant is left out only where namespaces cannot be created
/// and CI is not set (under CI=true it runs and fails instead).
enum BackendKind: String, CaseIterable, Sendable, CustomStringConvertible {
  case fake
  case kernel

  static var available: [BackendKind] { KernelTests.enabled ? [.fake, .kernel] : [.fake] }

  var description: String { rawValue }

  func with<T>(_ body: (any NetfilterBackend) async throws -> T) async throws -> T {
    switch self {
    case .fake:
      return try await body(FakeNetfilter())
    case .kernel:
      return try await withThrowawayNamespace { namespace in
        try await body(try NetlinkBackend(networkNamespace: namespace.path))
      }
    }
  }
}
