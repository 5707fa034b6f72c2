import AddressSet
import AddressSources
import ArgumentParser
import Foundation
import OriginGuard

struct CheckCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "check",
    abstract: "Say whether an address may reach the guarded ports, by which element and source.",
    discussion: """
      Answers "why does the CDN get 503 from this node?": looks the address up in the kernel's \
      set and in the last-known-good lists. Exits 0 when allowed, 7 when not.

      Examples:
        origin-guard check 203.0.113.7
        origin-guard check 2001:db8::1 --json
      """)

  @OptionGroup var global: GlobalOptions

  @Argument(help: "An IPv4 or IPv6 address.")
  var address: String

  @Flag(help: "Print JSON instead of text.")
  var json = false

  func validate() throws {
    do {
      _ = try PrefixParser.parseAddress(address)
    } catch {
      throw ValidationError("\(error)")
    }
  }

  func run() async throws {
    let context = try await CommandContext.make(global)
    let ruleset = context.configuration.ruleset
    let parsed = try PrefixParser.parseAddress(address)
    let snapshot: KernelSnapshot
    do {
      snapshot = try KernelSnapshot.read(
        ruleset: ruleset, backend: context.backend, store: context.store,
        identity: context.environment.kernelIdentity())
    } catch {
      context.console.error("origin-guard: \(error)")
      throw OriginGuard.ExitCode.failure.asExit
    }
    let element: String? =
      switch parsed {
      case .v4(let a): snapshot.set.v4.range(containing: a).map(Self.describe)
      case .v6(let a): snapshot.set.v6.range(containing: a).map(Self.describe)
      }
    let sources =
      savedSources(context.store, snapshot.header, retained: context.reconciler.retainedResults)?
      .explain(parsed) ?? []
    let ports = ruleset.protocols.map(\.description).joined(separator: "/") + " ports "
      + ruleset.ports.map(String.init).joined(separator: ", ")
    let allowed = snapshot.structure != nil && element != nil
    // Allowed by an element origin-guard never applied, that no source lists: someone else's.
    let foreign = allowed && sources.isEmpty && snapshot.lastApplied.map { !$0.contains(parsed) } == true
    if json {
      var object: [String: Any] = ["address": parsed.description, "allowed": allowed || snapshot.structure == nil]
      object["guarded"] = snapshot.structure != nil
      if let element { object["element"] = element }
      if allowed, let applied = snapshot.lastApplied { object["applied_by_origin_guard"] = applied.contains(parsed) }
      object["foreign"] = foreign
      object["sources"] = sources.map { ["prefix": $0.prefix.description, "provenance": $0.provenance.map(\.description)] }
      Console.print(JSONText.encode(object))
    } else if snapshot.structure == nil {
      Console.print("\(parsed): allowed — table inet \(ruleset.tableName) is missing, so \(ports) are open to everyone.\n")
    } else if let element, foreign {
      Console.print(
        "\(parsed): ALLOWED on \(ports) by element \(element) — but by the kernel only: no source lists it and origin-guard never applied it. Someone else added that element (drift); the next `origin-guard sync` removes it.\n")
    } else if let element {
      let from = sources.map { "\n  listed as \($0)" }.joined()
      let unlisted = sources.isEmpty ? "\n  no source's last-known-good list holds it: the next sync removes it unless a source lists it again" : ""
      Console.print("\(parsed): ALLOWED on \(ports) by element \(element)\(from)\(unlisted)\n")
    } else {
      Console.print(
        "\(parsed): NOT ALLOWED on \(ports): new connections from it are dropped (established ones continue). No source lists it.\n")
    }
    if snapshot.structure != nil && element == nil { throw OriginGuard.ExitCode.notAllowed.asExit }
  }

  static func describe<A: IPAddress>(_ range: AddressRange<A>) -> String {
    let prefixes = range.prefixes
    return prefixes.count == 1 ? prefixes[0].description : "\(range) (\(prefixes.count) prefixes)"
  }

  /// - Parameter retained: what the last sync kept that its sources no longer list.
  func savedSources(
    _ store: StateStore, _ header: StateHeader?, retained: (Date) -> [SourceResult]
  ) -> CombinedSources? {
    guard let header else { return nil }
    let results = header.sources.compactMap { name, record -> SourceResult? in
      guard let entries = try? store.loadEntries(record) else { return nil }
      return SourceSnapshot(
        name: name, kind: record.kind, fetchedAt: record.fetchedAt, version: record.version,
        contentChecksum: record.contentChecksum, entries: entries
      ).asResult
    }
    return CombinedSources(results + retained(header.savedAt))
  }
}
