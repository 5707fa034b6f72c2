import AddressSet
import AddressSources
import Foundation
import Netfilter
import Testing

@testable import OriginGuard

/// A saved state whose generation matches the kernel but whose applied list does not: the
/// plan against it fails (or verifies wrong), and the reconciler reads the kernel instead.
@Suite("Reconciler: a saved state that lies")
struct ReconcilerStaleStateTests {
  /// A harness whose kernel holds `kernel`, with a header claiming `claimed` was applied in
  /// the current generation.
  private func lyingState(kernel: [String], claimed: DualStackSet) async throws -> Harness {
    let h = try Harness()
    h.source.respond(h.source.entries(kernel))
    _ = try await h.sync()
    try h.store.save(
      applied: claimed, sources: [], table: "origin_guard", generation: h.generation,
      bootID: testIdentity, at: testEpoch)
    return h
  }

  @Test func aRemovalOfAnElementTheKernelLacksFallsBackToAKernelRead() async throws {
    let h = try await lyingState(
      kernel: ["192.0.2.0/24", "198.51.100.0/24"],
      claimed: addresses("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"))
    let commits = h.commitCount
    h.source.list("192.0.2.0/24", "198.51.100.0/24")

    let report = try await h.sync()

    #expect(report.plan.basis == .kernel)
    #expect(report.plan.isInSync)
    #expect(h.commitCount == commits)
    #expect(h.logs.warnings.contains { $0.contains("the saved state does not match the kernel") })
    let header = try #require(try h.store.loadHeader())
    #expect(try h.store.loadApplied(header) == addresses("192.0.2.0/24", "198.51.100.0/24"))
    #expect(try await h.sync().plan.basis == .savedState)
  }

  @Test func anAdditionOfAnElementTheKernelHasFallsBackToAKernelRead() async throws {
    let h = try await lyingState(
      kernel: ["192.0.2.0/24", "198.51.100.0/24"], claimed: addresses("192.0.2.0/24"))
    h.source.list("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")

    let commits = h.commitCount
    let report = try await h.sync()

    #expect(report.plan.basis == .kernel)
    #expect(report.plan.added == [prefix("203.0.113.0/24")])
    #expect(h.commitCount == commits + 1)  // the rejected batch changed nothing
    #expect(h.logs.warnings.contains { $0.contains("the saved state does not match the kernel") })
    #expect(try h.kernelSet() == addresses("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"))
  }

  @Test func aCommitThatWentThroughButVerifiesWrongIsRepairedFromAKernelRead() async throws {
    // The saved state claims 203.0.113.0/24 is there; the plan against it only adds
    // 100.64.0.0/16, which the kernel accepts, and the read-back misses 203.0.113.0/24.
    let h = try await lyingState(
      kernel: ["192.0.2.0/24", "198.51.100.0/24"],
      claimed: addresses("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"))
    h.source.list("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "100.64.0.0/16")

    let commits = h.commitCount
    let report = try await h.sync()

    #expect(report.plan.basis == .kernel)
    #expect(report.plan.added == [prefix("203.0.113.0/24")])
    #expect(h.commitCount == commits + 2)  // the wrong one, then the repair
    #expect(
      h.logs.warnings.contains {
        $0.contains("the commit planned on the saved state (added 1, removed 0 prefixes)")
      })
    #expect(
      try h.kernelSet()
        == addresses("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "100.64.0.0/16"))
    #expect(try await h.sync().plan.isInSync)
  }

  @Test func anUnreadableAppliedListFallsBackToAKernelRead() async throws {
    let h = try Harness()
    h.source.list("192.0.2.0/24")
    _ = try await h.sync()
    let header = try #require(try h.store.loadHeader())
    try Data("garbage\n".utf8).write(
      to: URL(fileURLWithPath: h.store.listsDirectory + "/" + header.applied.file))

    h.source.list("192.0.2.0/24", "198.51.100.0/24")
    let report = try await h.sync()

    #expect(report.plan.basis == .kernel)
    #expect(report.plan.added == [prefix("198.51.100.0/24")])
    #expect(h.logs.warnings.contains { $0.contains("is corrupt (checksum mismatch)") })
    let repaired = try #require(try h.store.loadHeader())
    #expect(try h.store.loadApplied(repaired) == addresses("192.0.2.0/24", "198.51.100.0/24"))
  }
}
