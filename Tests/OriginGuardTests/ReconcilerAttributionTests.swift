import AddressSet
import AddressSources
import Foundation
import Netfilter
import Testing

@testable import OriginGuard

/// Whose a difference is: someone else's (drift, repaired and counted), our configuration's
/// (rules updated, not drift) or a source's (guarded against shrinking). The shrink guard
/// measures against what origin-guard itself last applied, so elements someone else added
/// are repaired, never defended.
@Suite("Reconciler: whose change it is")
struct ReconcilerAttributionTests {
  private static let list = ["192.0.2.0/24", "198.51.100.0/24", "2001:db8::/48"]

  private func synced(_ prefixes: [String] = list, metrics: Bool = false) async throws -> Harness {
    let h = try Harness(metrics: metrics)
    h.source.respond(h.source.entries(prefixes))
    _ = try await h.sync()
    return h
  }

  // MARK: - Foreign elements (issue 14, item 3)

  @Test func aForeignElementIsRemovedAsDriftNotRefusedAsAShrink() async throws {
    let h = try await synced(metrics: true)
    let recorder = CycleRecorder(configuration: h.configuration, backend: h.fake, logger: h.logger)
    h.fake.simulateForeignElement(v4Range("10.0.0.0/8"), set: "allowed_v4", table: "origin_guard")
    // The CDN adds a node at the same time.
    h.source.respond(h.source.entries(Self.list + ["203.0.113.0/24"]))

    let report = try await h.sync()
    recorder.record(.success(report), at: testEpoch, duration: .seconds(1))

    #expect(report.applied)
    #expect(report.overriddenRefusals.isEmpty)
    #expect(report.plan.removedUnapplied == [prefix("10.0.0.0/8")])
    #expect(report.plan.sourceChanges.added == [prefix("203.0.113.0/24")])
    #expect(report.plan.sourceChanges.removed.isEmpty)
    #expect(report.repairedDrift)
    #expect(report.summary.contains("removed 1 prefix nobody applied: 10.0.0.0/8 (drift)"))
    #expect(
      try h.kernelSet() == DualStackSet(prefixes: (Self.list + ["203.0.113.0/24"]).map(prefix)))
    #expect(try h.store.loadRunRecord().driftRepairsTotal == 1)
    // And the sync after that is an ordinary one.
    let next = try await h.sync()
    #expect(next.plan.isInSync)
  }

  @Test func statusNamesTheAddressesSomeoneElseChanged() async throws {
    let h = try await synced()
    h.fake.simulateForeignElement(v4Range("10.0.0.0/8"), set: "allowed_v4", table: "origin_guard")
    var removal = Transaction()
    removal.removeElements([v6Range("2001:db8::/48")], set: "allowed_v6", table: "origin_guard")
    try h.fake.apply(removal, expectedGeneration: nil)

    let snapshot = try KernelSnapshot.read(
      ruleset: h.ruleset, backend: h.fake, store: h.store, identity: testIdentity)
    let foreign = try #require(snapshot.foreignAddresses)
    #expect(foreign.unapplied == [prefix("10.0.0.0/8")])
    #expect(foreign.removed == [prefix("2001:db8::/48")])
    // In another boot the saved state says nothing about this kernel.
    let elsewhere = try KernelSnapshot.read(
      ruleset: h.ruleset, backend: h.fake, store: h.store, identity: "another boot")
    #expect(elsewhere.foreignAddresses == nil)
  }

  @Test func theShrinkGuardMeasuresWhatOriginGuardApplied() async throws {
    let h = try await synced(["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"])
    h.fake.simulateForeignElement(v4Range("10.0.0.0/8"), set: "allowed_v4", table: "origin_guard")
    // Two of our three /24s vanish from the source: 66.7% of what we applied, whatever the
    // foreign /8 does to the kernel's share.
    h.source.list("192.0.2.0/24")

    let error = try #require(await h.syncFailure())
    guard
      case .shrinksTooMuch(.ipv4, let removed, _, .lastApplied) = error.refusals.first
    else {
      Issue.record("expected a shrink refusal against the last applied list, got \(error)")
      return
    }
    #expect(abs(removed - 200.0 / 3) < 0.001)
    #expect(error.refusals[0].description.contains("addresses origin-guard last applied"))
  }

  @Test func withoutASavedStateTheKernelsContentsAreTheBaseline() async throws {
    let h = try Harness()
    // A table of our name holding a list, and no state of ours (a lost state directory).
    try h.fake.apply(
      h.ruleset.installTransaction(allowing: addresses("10.0.0.0/8", "192.0.2.0/24")),
      expectedGeneration: nil)
    h.source.list("192.0.2.0/24")

    let error = try #require(await h.syncFailure())
    guard case .shrinksTooMuch(.ipv4, _, _, .kernel) = error.refusals.first else {
      Issue.record("expected a shrink refusal against the kernel, got \(error)")
      return
    }
    #expect(error.refusals[0].description.contains("no saved state of its own"))
    #expect(try h.kernelSet() == addresses("10.0.0.0/8", "192.0.2.0/24"))
  }

  @Test func anElementSomeoneRemovedIsPutBackAsDrift() async throws {
    let h = try await synced()
    var removal = Transaction()
    removal.removeElements([v4Range("198.51.100.0/24")], set: "allowed_v4", table: "origin_guard")
    try h.fake.apply(removal, expectedGeneration: nil)

    let report = try await h.sync()
    #expect(report.plan.restored == [prefix("198.51.100.0/24")])
    #expect(report.plan.sourceChanges.added.isEmpty)
    #expect(report.repairedDrift)
    #expect(report.summary.contains("put back 1 prefix someone removed: 198.51.100.0/24 (drift)"))
  }

  @Test func aSourceChangeIsNotDrift() async throws {
    let h = try await synced()
    h.fake.simulateForeignCommit()  // someone else's commit elsewhere: the kernel is read
    h.source.respond(h.source.entries(Self.list + ["203.0.113.0/24"]))

    let report = try await h.sync()
    #expect(report.plan.basis == .kernel)
    #expect(report.plan.sourceChanges.added == [prefix("203.0.113.0/24")])
    #expect(report.plan.foreign.isEmpty)
    #expect(!report.repairedDrift)
  }

  // MARK: - Configuration changes (issue 14, item 10)

  private func sync(_ h: Harness, _ configuration: Configuration) async throws(CycleError)
    -> CycleReport
  {
    try await Reconciler(configuration: configuration, environment: h.environment()).cycle(
      Reconciler.Options(apply: true))
  }

  @Test func changingPortsIsAConfigurationChangeNotDrift() async throws {
    let h = try await synced(metrics: true)
    let recorder = CycleRecorder(configuration: h.configuration, backend: h.fake, logger: h.logger)
    var configuration = h.configuration
    configuration.ruleset.ports = [80, 443, 8443]

    let report = try await sync(h, configuration)
    recorder.record(.success(report), at: testEpoch, duration: .seconds(1))

    #expect(report.applied)
    #expect(report.plan.configurationChange?.settings == ["ports 80,443 → 80,443,8443"])
    #expect(report.plan.foreign.isEmpty)
    #expect(!report.repairedDrift)
    #expect(
      report.summary.contains(
        "the configuration changed: ports 80,443 → 80,443,8443; rules updated"))
    #expect(!report.summary.contains("drift"))
    #expect(try h.store.loadRunRecord().driftRepairsTotal == 0)
    #expect(try h.kernelState()?.table == configuration.ruleset.table)
    #expect(try h.kernelSet() == DualStackSet(prefixes: Self.list.map(prefix)))
  }

  @Test func changingTheHookAndTheDropLogIsAConfigurationChange() async throws {
    let h = try await synced()
    var configuration = h.configuration
    configuration.ruleset.hookMode = .prerouting
    configuration.ruleset.dropLog = GuardRuleset.DropLog()

    let report = try await sync(h, configuration)
    #expect(!report.repairedDrift)
    #expect(
      report.plan.configurationChange?.settings == [
        "base_chain input → prerouting", "hook input → prerouting", "priority -10 → -150",
        #"drop_log off → "origin-guard drop: " 10 per 60s burst 5"#,
      ])
    // Then back: a change again, never drift.
    let back = try await sync(h, h.configuration)
    #expect(!back.repairedDrift)
    #expect(back.plan.configurationChange?.settings.contains("hook prerouting → input") == true)
  }

  @Test func tamperingOnTopOfAConfigurationChangeIsStillDrift() async throws {
    let h = try await synced()
    h.fake.simulateDrift(table: "origin_guard") { table in
      let guardChain = table.chains.firstIndex { $0.name == "guard" }!
      table.chains[guardChain].rules.insert(Rule([.verdict(.accept)]), at: 0)
    }
    var configuration = h.configuration
    configuration.ruleset.ports = [443]

    let report = try await sync(h, configuration)
    #expect(report.repairedDrift)
    #expect(report.plan.configurationChange?.settings == ["ports 80,443 → 443"])
    // Measured against what we installed: only the inserted rule is someone else's.
    #expect(
      report.plan.foreign.structure == [
        .ruleInserted(chain: "guard", position: 1, Rule([.verdict(.accept)]))
      ])
    #expect(try h.kernelState()?.table == configuration.ruleset.table)
  }

  @Test func aStateFileOfAnOlderVersionStillLoads() throws {
    let h = try Harness()
    try h.store.save(
      applied: addresses("192.0.2.0/24"), sources: [], table: "origin_guard", generation: 3,
      bootID: testIdentity, at: testEpoch)
    let path = h.configuration.stateDirectory + "/state.json"
    let saved = try #require(FileManager.default.contents(atPath: path))
    // A header as 1.x wrote it: no ruleset, former tables or teardown.
    var object = try #require(try JSONSerialization.jsonObject(with: saved) as? [String: Any])
    object["ruleset"] = nil
    #expect(object["former_tables"] == nil && object["table_removed_at"] == nil)
    try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))

    let header = try #require(try h.store.loadHeader())
    #expect(header.ruleset == nil && header.formerTables == nil && header.tableRemovedAt == nil)
    #expect(header.generation == 3)
  }

  @Test func theRulesetRecordRebuildsTheRuleset() {
    var ruleset = GuardRuleset()
    ruleset.tableName = "edge"
    ruleset.ports = [443, 8443]
    ruleset.protocols = [.tcp, .udp]
    ruleset.hookMode = .prerouting
    ruleset.acceptEstablishedRelated = false
    ruleset.dropLog = GuardRuleset.DropLog(
      prefix: "x: ", limit: RateLimit(rate: 3, periodSeconds: 3600, burst: 9))
    let rebuilt = RulesetRecord(ruleset).ruleset
    #expect(rebuilt?.table == ruleset.table)
    #expect(RulesetRecord(ruleset).changes(to: RulesetRecord(ruleset)).isEmpty)
  }

  // MARK: - Teardown and renamed tables (issue 14, item 11)

  /// `table:` names a table someone else made: installing ours would replace it whole.
  @Test func aTableNoStateOfOursNamesWithForeignObjectsIsNeverReplaced() async throws {
    let h = try Harness()
    var neighbour = Transaction()
    neighbour.recreate(
      Table(
        name: "neighbour", sets: [.addresses(.ipv4, name: "blocked")],
        chains: [Chain(name: "c", base: BaseChain(hook: .input, priority: 0))]))
    try h.fake.apply(neighbour, expectedGeneration: nil)
    let before = try #require(try h.fake.readTable(named: "neighbour", withElements: true))
    var configuration = h.configuration
    configuration.ruleset.tableName = "neighbour"
    h.source.list("192.0.2.0/24")

    do {
      let report = try await sync(h, configuration)
      Issue.record("expected a refusal, the sync succeeded: \(report.summary)")
    } catch {
      #expect(
        error.refusals == [.notOurTable(table: "neighbour", foreign: ["set blocked", "chain c"])])
      #expect(error.refusals.first?.isOverridable == false)
    }
    #expect(try h.fake.readTable(named: "neighbour", withElements: true) == before)
  }

  @Test func ourTableWithItsStateLostIsStillOurs() async throws {
    let h = try await synced()
    try FileManager.default.removeItem(atPath: h.configuration.stateDirectory + "/state.json")
    h.source.respond(h.source.entries(Self.list + ["203.0.113.0/24"]))
    h.fake.simulateDrift(table: "origin_guard") { $0.chains[0].base?.policy = .drop }

    let report = try await h.sync()
    #expect(report.applied)
    #expect(try h.kernelState()?.table == h.ruleset.table)
  }

  @Test func aTableOurTeardownRemovedIsNotDrift() async throws {
    let h = try await synced()
    try h.fake.apply(h.ruleset.uninstallTransaction(), expectedGeneration: nil)
    try h.store.recordTeardown(at: testEpoch + 60)

    let snapshot = try KernelSnapshot.read(
      ruleset: h.ruleset, backend: h.fake, store: h.store, identity: testIdentity)
    #expect(snapshot.removedByTeardownAt == testEpoch + 60)

    let report = try await h.sync()
    #expect(report.applied && !report.plan.tableExists)
    #expect(!report.plan.foreign.tableDeleted)
    #expect(!report.repairedDrift)
    // The sync records a fresh state: the teardown is history.
    #expect(try h.store.loadHeader()?.tableRemovedAt == nil)
  }

  @Test func aTableSomeoneElseDeletedIsDrift() async throws {
    let h = try await synced()
    h.fake.simulateTableDeletion("origin_guard")

    let report = try await h.sync()
    #expect(report.plan.foreign.tableDeleted)
    #expect(report.repairedDrift)
    #expect(report.summary.contains("created the table (someone deleted it: drift)"))
  }

  @Test func aRenamedTableLeavesTheOldOneUntouchedAndWarnsUntilItIsGone() async throws {
    let h = try await synced()
    let old = try #require(try h.kernelState())
    var renamed = h.configuration
    renamed.ruleset.tableName = "web_guard"

    let report = try await sync(h, renamed)
    #expect(report.plan.formerTables == ["origin_guard"])
    #expect(report.summary.contains("WARNING: table inet origin_guard"))
    #expect(h.logs.warnings.contains { $0.contains("nft delete table inet origin_guard") })
    // Never touched: it may not be ours any more.
    let after = try #require(try h.kernelState())
    #expect(after.table == old.table && after.elements == old.elements)
    #expect(!report.repairedDrift)

    // The next sync still knows: the state remembers the former name.
    let again = try await sync(h, renamed)
    #expect(again.plan.formerTables == ["origin_guard"])
    #expect(
      PlanRenderer.text(again, table: "web_guard").contains(
        "WARNING: table inet origin_guard, which origin-guard installed before `table:` became web_guard"
      ))

    h.fake.simulateTableDeletion("origin_guard")
    let gone = try await sync(h, renamed)
    #expect(gone.plan.formerTables.isEmpty)
    #expect(try h.store.loadHeader()?.formerTables == nil)
  }
}
