import AddressSet
import AddressSources
import Testing

@Suite struct StaticSourceTests {
  @Test func parsesConfiguredPrefixesAndMasksHostBits() async throws {
    let source = StaticSource(
      config: StaticSourceConfig(
        name: "alb", prefixes: ["100.64.0.0/10", "2001:db8::1/64", " 192.0.2.7 "]),
      context: makeContext())
    let result = try await source.fetch()
    #expect(result.source == "alb")
    #expect(result.kind == .static)
    #expect(
      result.entries.map(\.prefix) == [
        prefix("100.64.0.0/10"), prefix("2001:db8::/64"), prefix("192.0.2.7/32"),
      ])
    #expect(result.entries.allSatisfy { $0.origin == .configuration })
    #expect(result.entries[1].notes == [.hostBitsMasked(original: "2001:db8::1/64")])
    #expect(result.set.contains(address("100.100.1.1")))
    #expect(result.version.checksum.hasPrefix("sha256:"))
  }

  @Test func failsOnAnInvalidEntryNamingItAndTheColumn() async {
    let source = StaticSource(
      config: StaticSourceConfig(name: "alb", prefixes: ["100.64.0.0/10", "10.0.0.300"]),
      context: makeContext())
    let error = await expectSourceError { () async throws(SourceError) in try await source.fetch() }
    guard case .invalidEntry("alb", .configuration, "10.0.0.300", let column?, _) = error else {
      Issue.record("unexpected \(String(describing: error))")
      return
    }
    #expect(column == 8)
    #expect(error?.isRetryable == false)
    #expect(error?.description.contains("on_invalid_entry: skip") == true)
  }

  @Test func skipPolicyDropsAndReportsInvalidEntries() async throws {
    let source = StaticSource(
      config: StaticSourceConfig(
        name: "alb", prefixes: ["nonsense", "100.64.0.0/10"],
        policy: EntryPolicy(onInvalidEntry: .skip)),
      context: makeContext())
    let result = try await source.fetch()
    #expect(result.entries.map(\.prefix) == [prefix("100.64.0.0/10")])
    #expect(result.skipped.map(\.entry) == ["nonsense"])
  }

  @Test func emptyListIsAFailure() async {
    let source = StaticSource(
      config: StaticSourceConfig(name: "alb", prefixes: []), context: makeContext())
    let error = await expectSourceError { () async throws(SourceError) in try await source.fetch() }
    guard case .emptyResult("alb", nil) = error else {
      Issue.record("unexpected \(String(describing: error))")
      return
    }
  }

  @Test func skippingEverythingIsStillAnEmptyFailure() async {
    let source = StaticSource(
      config: StaticSourceConfig(
        name: "alb", prefixes: ["x"], policy: EntryPolicy(onInvalidEntry: .skip)),
      context: makeContext())
    let error = await expectSourceError { () async throws(SourceError) in try await source.fetch() }
    guard case .emptyResult = error else {
      Issue.record("unexpected \(String(describing: error))")
      return
    }
  }

  @Test(arguments: [
    ("0.0.0.0/0", 8, "min_prefix_length_v4"), ("10.0.0.0/7", 8, "min_prefix_length_v4"),
    ("::/0", 32, "min_prefix_length_v6"), ("2001::/31", 32, "min_prefix_length_v6"),
  ])
  func tooBroadPrefixesFailEvenWhenSkipping(entry: String, minimum: Int, key: String) async {
    let source = StaticSource(
      config: StaticSourceConfig(
        name: "alb", prefixes: [entry], policy: EntryPolicy(onInvalidEntry: .skip)),
      context: makeContext())
    let error = await expectSourceError { () async throws(SourceError) in try await source.fetch() }
    guard case .prefixTooBroad("alb", .configuration, entry, _, minimum) = error else {
      Issue.record("unexpected \(String(describing: error))")
      return
    }
    #expect(error?.description.contains(key) == true)
  }

  @Test func minimumPrefixLengthIsConfigurable() async throws {
    let source = StaticSource(
      config: StaticSourceConfig(
        name: "alb", prefixes: ["10.0.0.0/7"], policy: EntryPolicy(minimumIPv4PrefixLength: 7)),
      context: makeContext())
    #expect(try await source.fetch().entries.count == 1)
  }

  @Test func ipv4MappedEntriesBecomeIPv4() async throws {
    let source = StaticSource(
      config: StaticSourceConfig(name: "alb", prefixes: ["::ffff:192.0.2.0/120"]),
      context: makeContext())
    #expect(try await source.fetch().entries.map(\.prefix) == [prefix("192.0.2.0/24")])
  }
}
