import AddressSet
import AddressSources
import Foundation
import Netfilter
import Testing

@testable import OriginGuard

/// Another program commits between our read and our write: the commit is rejected by its
/// expected generation, re-planned against the kernel and retried.
@Suite("Reconciler: generation retries")
struct ReconcilerGenerationTests {
  @Test func aForeignCommitBetweenReadAndWriteIsRetriedAndConverges() async throws {
    let h = try Harness()
    h.source.list("192.0.2.0/24")
    let backend = HookedBackend.racing(h.fake, foreignCommits: 1)

    let report = try await h.sync(backend: backend)

    #expect(report.applied)
    #expect(report.generationRetries == 1)
    #expect(backend.applyCount == 2)
    #expect(h.commitCount == 1)
    #expect(try h.kernelSet() == addresses("192.0.2.0/24"))
    #expect(report.generation == h.generation)
    #expect(try h.store.loadHeader()?.generation == h.generation)
    #expect(h.logs.messages.contains { $0.contains("the ruleset changed while planning") })
  }

  @Test func aRetryAfterTheSavedStatePlanReadsTheKernel() async throws {
    let h = try Harness()
    h.source.list("192.0.2.0/24")
    _ = try await h.sync()
    h.source.list("192.0.2.0/24", "198.51.100.0/24")
    let backend = HookedBackend.racing(h.fake, foreignCommits: 1)

    let report = try await h.sync(backend: backend)

    // The first plan came from the saved state; the one that went through from the kernel.
    #expect(report.plan.basis == .kernel)
    #expect(report.generationRetries == 1)
    #expect(h.commitCount == 2)
    #expect(try h.kernelSet() == addresses("192.0.2.0/24", "198.51.100.0/24"))
  }

  @Test func theCommitIsRetriedUpToMaxGenerationRetriesTimes() async throws {
    let h = try Harness()
    h.source.list("192.0.2.0/24")
    let retries = Reconciler.maxGenerationRetries
    let backend = HookedBackend.racing(h.fake, foreignCommits: retries)

    let report = try await h.sync(backend: backend)

    #expect(report.generationRetries == retries)
    #expect(backend.applyCount == retries + 1)
    #expect(try h.kernelSet() == addresses("192.0.2.0/24"))
  }

  @Test func aRulesetThatKeepsChangingGivesUpWithoutChangingAnything() async throws {
    let h = try Harness()
    h.source.list("192.0.2.0/24")
    _ = try await h.sync()
    let header = FileManager.default.contents(atPath: h.store.headerPath)
    h.source.list("198.51.100.0/24", "192.0.2.0/24")
    let backend = HookedBackend.racing(h.fake, foreignCommits: .max)

    let error = try #require(await h.syncFailure(backend: backend))

    guard case .generationKeptChanging(let attempts) = error else {
      Issue.record("expected .generationKeptChanging, got \(error)")
      return
    }
    #expect(attempts == Reconciler.maxGenerationRetries + 1)
    #expect(backend.applyCount == Reconciler.maxGenerationRetries + 1)
    #expect(error.exitCode == .failure)
    #expect(error.description.contains("Nothing was applied"))
    #expect(h.commitCount == 1)
    #expect(try h.kernelSet() == addresses("192.0.2.0/24"))
    #expect(FileManager.default.contents(atPath: h.store.headerPath) == header)
  }

  @Test func aRulesetThatChangesDuringEveryReadGivesUpToo() async throws {
    let h = try Harness()
    h.source.list("192.0.2.0/24")
    let backend = HookedBackend.churning(h.fake)

    let error = try #require(await h.syncFailure(backend: backend))

    guard case .generationKeptChanging = error else {
      Issue.record("expected .generationKeptChanging, got \(error)")
      return
    }
    #expect(backend.applyCount == 0)
    #expect(h.commitCount == 0)
    #expect(try h.kernelState() == nil)
  }

  @Test func aKernelErrorIsReportedAndNothingIsSaved() async throws {
    let h = try Harness()
    h.source.list("192.0.2.0/24")
    h.fake.injectFailure(.permissionDenied(operation: "commit batch"), on: .apply)

    let error = try #require(await h.syncFailure())
    guard case .kernel(.permissionDenied) = error else {
      Issue.record("expected a kernel error, got \(error)")
      return
    }
    #expect(error.exitCode == .failure)
    #expect(error.description.contains("CAP_NET_ADMIN"))
    #expect(try h.kernelState() == nil)
    #expect(try h.store.loadHeader() == nil)

    // The failure was injected once: the next sync goes through.
    #expect(try await h.sync().applied)
  }

  @Test func aFailedReadIsAKernelError() async throws {
    let h = try Harness()
    h.source.list("192.0.2.0/24")
    h.fake.injectFailure(.nfTablesUnavailable(detail: "EPROTONOSUPPORT"), on: .generation)

    let error = try #require(await h.syncFailure())
    guard case .kernel(.nfTablesUnavailable) = error else {
      Issue.record("expected a kernel error, got \(error)")
      return
    }
    #expect(h.commitCount == 0)
  }

  @Test func whatTheKernelHoldsAfterTheCommitIsVerified() async throws {
    let h = try Harness()
    h.source.list("192.0.2.0/24")
    // Someone adds an element right after our commit, before the read-back.
    let fake = h.fake
    let backend = HookedBackend(
      fake,
      afterApply: { _ in
        fake.simulateForeignElement(
          v4Range("203.0.113.0/24"), set: "allowed_v4", table: "origin_guard")
      })

    let error = try #require(await h.syncFailure(backend: backend))
    guard case .verificationFailed(let detail) = error else {
      Issue.record("expected a verification failure, got \(error)")
      return
    }
    #expect(detail == "the sets hold 1 ranges too many and miss 0")
    #expect(error.exitCode == .failure)
    #expect(try h.store.loadHeader() == nil)

    // The next sync reads the kernel (no saved state) and removes the stranger.
    let report = try await h.sync()
    #expect(report.plan.removed == [prefix("203.0.113.0/24")])
    #expect(try h.kernelSet() == addresses("192.0.2.0/24"))
  }
}
