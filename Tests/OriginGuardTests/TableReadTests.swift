import Netfilter
import OriginGuard
import Testing

/// The one rule for reading our table while others commit: a read that met a commit is read
/// again at once, a few times, then the conflict is the caller's.
@Suite("Reading the table while others commit")
struct TableReadTests {
  static let table = "origin_guard"

  private func installedFake() throws -> FakeNetfilter {
    let fake = FakeNetfilter()
    var transaction = Transaction()
    transaction.addTable(Self.table)
    try fake.apply(transaction, expectedGeneration: nil)
    return fake
  }

  @Test func aReadThatMetCommitsIsReadAgain() throws {
    let fake = try installedFake()
    for _ in 1..<FakeNetfilter.tableReadAttempts {
      fake.injectFailure(.generationChanged(expected: nil), on: .readTable)
    }
    #expect(try fake.readTableRetrying(named: Self.table, withElements: true) != nil)
  }

  @Test func commitsDuringEveryAttemptAreTheCallersConflict() throws {
    let fake = try installedFake()
    for _ in 0..<FakeNetfilter.tableReadAttempts {
      fake.injectFailure(.generationChanged(expected: nil), on: .readTable)
    }
    #expect(throws: NetfilterError.generationChanged(expected: nil)) {
      try fake.readTableRetrying(named: Self.table, withElements: true)
    }
    #expect(try fake.readTableRetrying(named: Self.table, withElements: true) != nil)
  }

  @Test func otherErrorsAreNotRetried() throws {
    let fake = try installedFake()
    fake.injectFailure(.permissionDenied(operation: "list table"), on: .readTable)
    fake.injectFailure(.generationChanged(expected: nil), on: .readTable)
    #expect(throws: NetfilterError.permissionDenied(operation: "list table")) {
      try fake.readTableRetrying(named: Self.table, withElements: true)
    }
  }
}
