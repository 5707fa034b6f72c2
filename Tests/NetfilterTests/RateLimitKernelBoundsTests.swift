import AddressSet
import Netfilter
import TestSupport
import Testing

/// `RateLimit.kernelRefusal` is what `validate` uses to refuse a `drop_log` the kernel would
/// refuse with EOVERFLOW at the first sync.
@Suite("Rate limit: kernel bounds")
struct RateLimitKernelBoundsTests {
  /// Limits on both sides of the kernel's bound (nft_limit_init), and whether it accepts them.
  static let cases: [(RateLimit, accepted: Bool)] = [
    (RateLimit(rate: 10, periodSeconds: 60), true),
    (RateLimit(rate: 1, periodSeconds: 604_800, burst: 30_500), true),
    (RateLimit(rate: 1, periodSeconds: 604_800, burst: 30_501), false),
    (RateLimit(rate: 1, periodSeconds: 604_800, burst: 1_000_000), false),
    (RateLimit(rate: 10, periodSeconds: 60, burst: 3_074_457_345), true),
    (RateLimit(rate: 10, periodSeconds: 60, burst: 3_074_457_346), false),
    (RateLimit(rate: UInt64.max - 5, periodSeconds: 1, burst: 5), true),
    (RateLimit(rate: UInt64.max, periodSeconds: 1, burst: 1), false),
  ]

  @Test func theBoundIsTheKernels() {
    for (limit, accepted) in Self.cases {
      #expect((limit.kernelRefusal == nil) == accepted, "\(limit)")
    }
  }

  @Test func theMessageSaysHowFarTheBurstCanGo() throws {
    let message = try #require(
      RateLimit(rate: 1, periodSeconds: 604_800, burst: 1_000_000).kernelRefusal)
    #expect(message.contains("at most 30500"))
  }

  /// The same limits in a real kernel: a drop log with each, installed in one batch.
  @Test(.enabled(if: KernelTests.enabled)) func theKernelAgrees() async throws {
    try await withThrowawayNamespace { ns in
      let backend = try NetlinkBackend(networkNamespace: ns.path)
      for (limit, accepted) in Self.cases {
        var rules = GuardRuleset()
        rules.dropLog = GuardRuleset.DropLog(limit: limit)
        do throws(NetfilterError) {
          try backend.install(rules: rules)
          #expect(accepted, "the kernel accepted \(limit), kernelRefusal says it refuses it")
        } catch {
          #expect(!accepted, "the kernel refused \(limit): \(error)")
          if case .kernel(_, let errno) = error { #expect(errno == 75, "\(limit): \(error)") }
        }
      }
    }
  }
}

extension NetfilterBackend {
  fileprivate func install(rules: GuardRuleset) throws(NetfilterError) {
    _ = try apply(rules.installTransaction(allowing: DualStackSet()), expectedGeneration: nil)
  }
}
