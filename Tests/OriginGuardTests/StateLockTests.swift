import Foundation
import Synchronization
import Testing

@testable import OriginGuard

/// A flag one thread raises and another reads.
final class Flag: Sendable {
  private let value = Mutex(false)
  func set() { value.withLock { $0 = true } }
  var isSet: Bool { value.withLock { $0 } }
}

@Suite("Run lock")
struct StateLockTests {
  @Test func aSecondRunWithoutWaitIsRefusedWithExitCodeLocked() throws {
    let directory = try TemporaryStateDirectory()
    let store = directory.store
    try store.prepare()
    var first: RunLock? = try RunLock(path: store.lockPath, wait: false)

    let error = #expect(throws: StateError.self) {
      try RunLock(path: store.lockPath, wait: false)
    }
    guard case .locked(let path)? = error else {
      Issue.record("expected .locked, got \(String(describing: error))")
      return
    }
    #expect(path == store.lockPath)
    #expect(CycleError.state(.locked(path: path)).exitCode == .locked)

    // Released with the object: the next run gets it.
    withExtendedLifetime(first) {}
    first = nil
    let again = try RunLock(path: store.lockPath, wait: false)
    withExtendedLifetime(again) {}
  }

  @Test func theReconcilersLockMapsToExitCodeLocked() throws {
    let h = try Harness()
    let reconciler = h.reconciler()
    let first = try reconciler.lock(wait: false)

    do {
      let second = try reconciler.lock(wait: false)
      Issue.record("the second lock should have failed")
      withExtendedLifetime(second) {}
    } catch {
      guard case .state(.locked) = error else {
        Issue.record("expected .state(.locked), got \(error)")
        return
      }
      #expect(error.exitCode == .locked)
      #expect(CycleRecorder.resultName(error) == "locked")
      #expect(error.description.contains("use --wait to queue"))
    }
    withExtendedLifetime(first) {}
  }

  @Test func waitingQueuesBehindTheHolder() async throws {
    let directory = try TemporaryStateDirectory()
    let store = directory.store
    try store.prepare()
    let path = store.lockPath
    var first: RunLock? = try RunLock(path: path, wait: false)

    // flock blocks its thread: wait on a thread of our own, not the cooperative pool.
    let acquired = Flag()
    let done = Flag()
    let waiter = Thread {
      let lock = try? RunLock(path: path, wait: true)
      if lock != nil { acquired.set() }
      done.set()
    }
    waiter.start()

    try await Task.sleep(for: .milliseconds(200))
    #expect(!done.isSet)  // still queued behind the first holder

    withExtendedLifetime(first) {}
    first = nil  // release

    let deadline = ContinuousClock.now + .seconds(10)
    while !done.isSet && ContinuousClock.now < deadline {
      try await Task.sleep(for: .milliseconds(20))
    }
    #expect(acquired.isSet)
  }
}
