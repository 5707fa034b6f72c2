import AddressSet
import Netfilter
import Testing

@Suite("GuardRuleset structure")
struct GuardRulesetTests {
  @Test func defaultTable() {
    let table = GuardRuleset().table
    #expect(table.name == "origin_guard")
    #expect(table.sets.map(\.name) == ["allowed_v4", "allowed_v6"])
    #expect(table.sets.allSatisfy { $0.flags == .interval })
    #expect(table.chains.map(\.name) == ["input", "guard"])
    #expect(
      table.chains[0].base
        == BaseChain(type: "filter", hook: .input, priority: -10, policy: .accept))
    #expect(
      table.chains[0].rules.map(\.description) == [
        "meta l4proto == 6 payload transport +2 len 2 { 80, 443 } jump guard"
      ])
    #expect(table.chains[1].base == nil)
    #expect(table.chains[1].rules.count == 5)
    #expect(table.chains[1].rules.last == GuardRuleset.dropRule)
    #expect(
      table.chains[1].rules.map(\.description) == [
        "meta iifname == \"lo\" accept", "ct state & 0x6 ^ 0x0 != 0x0 accept",
        "meta nfproto == 2 payload network +12 len 4 @allowed_v4 accept",
        "meta nfproto == 10 payload network +8 len 16 @allowed_v6 accept", "counter drop",
      ])
  }

  @Test func options() {
    var options = GuardRuleset()
    options.tableName = "og"
    options.ipv4SetName = "a4"
    options.ipv6SetName = "a6"
    options.guardChainName = "check"
    options.hookMode = .prerouting
    options.ports = [8443]
    options.protocols = [.tcp, .udp]
    options.acceptEstablishedRelated = false
    options.dropLog = GuardRuleset.DropLog()
    let table = options.table
    #expect(table.name == "og")
    #expect(table.chains.map(\.name) == ["prerouting", "check"])
    #expect(table.chains[0].base?.hook == .prerouting)
    #expect(table.chains[0].base?.priority == -150)
    #expect(
      table.chains[0].rules.map(\.description) == [
        "meta l4proto == 6 payload transport +2 len 2 == 8443 fib daddr type == 0x2 jump check",
        "meta l4proto == 17 payload transport +2 len 2 == 8443 fib daddr type == 0x2 jump check",
      ])
    #expect(table.chains[1].rules.count == 5)
    #expect(
      table.chains[1].rules[3].expressions == [
        .limit(RateLimit(rate: 10, periodSeconds: 60)), .log(prefix: "origin-guard drop: "),
      ])
    options.priority = -200
    options.baseChainName = "pre"
    #expect(options.table.chains[0].name == "pre")
    #expect(options.table.chains[0].base?.priority == -200)
  }

  @Test func transactionsRunStructureThenRemovalsThenAdditions() {
    var transaction = Transaction()
    transaction.addElements([v4("10.0.0.0/23")], set: "s", table: "t")
    transaction.removeElements([v4("10.0.0.0/24")], set: "s", table: "t")
    transaction.addTable("t")
    #expect(
      transaction.orderedDescriptions == [
        "add table inet t", "delete 1 range(s) from set t s", "add 1 range(s) to set t s",
      ])
    #expect(!transaction.isEmpty)
    #expect(Transaction().isEmpty)
    // Empty element lists add nothing.
    var empty = Transaction()
    empty.addElements([AddressRange<IPv4Address>](), set: "s", table: "t")
    #expect(empty.isEmpty)
  }

  @Test func installRecreatesTheTableAtomically() {
    let transaction = GuardRuleset().installTransaction(
      allowing: addresses("10.0.0.0/8", "2001:db8::/32"))
    let descriptions = transaction.orderedDescriptions
    #expect(
      descriptions.prefix(3) == [
        "add table inet origin_guard", "delete table inet origin_guard",
        "add table inet origin_guard",
      ])
    #expect(
      descriptions.suffix(2) == [
        "add 1 range(s) to set origin_guard allowed_v4",
        "add 1 range(s) to set origin_guard allowed_v6",
      ])
  }
}

@Suite("Structure drift")
struct DriftTests {
  let intended = GuardRuleset().table

  @Test func identicalIsNoDrift() {
    #expect(intended.drifts(from: intended).isEmpty)
    #expect(intended.drifts(from: nil) == [.tableMissing("origin_guard")])
  }

  @Test func ruleEditedInsertedRemoved() {
    var found = intended
    let guardIndex = 1
    let original = found.chains[guardIndex].rules[2]
    found.chains[guardIndex].rules[2] = Rule([.verdict(.accept)])
    #expect(
      intended.drifts(from: found) == [
        .ruleEdited(
          chain: "guard", position: 3, expected: original, found: Rule([.verdict(.accept)]))
      ])

    found = intended
    let foreign = Rule([.meta(.transportProtocol), .compare(.equal, data: [17]), .verdict(.accept)])
    found.chains[guardIndex].rules.insert(foreign, at: 0)
    #expect(intended.drifts(from: found) == [.ruleInserted(chain: "guard", position: 1, foreign)])

    found = intended
    let removed = found.chains[guardIndex].rules.remove(at: 1)
    #expect(intended.drifts(from: found) == [.ruleRemoved(chain: "guard", position: 2, removed)])
  }

  @Test func chainsSetsAndTable() {
    var found = intended
    found.chains[0].base?.policy = .drop
    found.chains[0].base?.priority = 0
    found.sets[0].flags = []
    found.sets.removeLast()
    found.flags = 1
    found.chains.append(Chain(name: "extra"))
    let drifts = intended.drifts(from: found)
    #expect(drifts.count == 5)
    #expect(drifts.contains(.tableFlagsChanged(expected: 0, found: 1)))
    #expect(drifts.contains(.setMissing("allowed_v6")))
    #expect(drifts.contains(.unexpectedChain("extra")))
    #expect(drifts.map(\.description).contains { $0.contains("dormant") })
    #expect(drifts.map(\.description).contains { $0.contains("policy drop") })
  }

  @Test func comparisonNamesWhatToDo() {
    let rules = GuardRuleset()
    let state = TableState(
      generation: 7, table: intended,
      elements: ["allowed_v4": .ipv4([v4("10.0.0.0/24")]), "allowed_v6": .ipv6([])])
    #expect(rules.compare(state, desired: addresses("10.0.0.0/24")) == .inSync)
    guard
      case .elementsDiffer(let diff4, let diff6) = rules.compare(
        state, desired: addresses("10.0.0.0/23"))
    else {
      Issue.record("expected an element difference")
      return
    }
    #expect(diff4.remove == [v4("10.0.0.0/24")])
    #expect(diff4.add == [v4("10.0.0.0/23")])
    #expect(diff6.isEmpty)
    #expect(
      rules.compare(nil, desired: DualStackSet())
        == .structureDrifted([.tableMissing("origin_guard")]))
  }
}
