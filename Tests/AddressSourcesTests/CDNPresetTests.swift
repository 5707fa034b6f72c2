import AddressSet
import AddressSources
import Foundation
import NIOHTTP1
import Testing

/// The presets added for EdgeOne, Gcore, Bunny and Google Cloud, each against a copy of its
/// provider's document (Tests/Fixtures/CDNPresets, see its README for where each shape is from).
@Suite(.timeLimit(.minutes(1))) struct CDNPresetTests {
  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fixtures/CDNPresets")

  static func fixture(_ name: String) -> String {
    (try? String(contentsOf: fixtures.appendingPathComponent(name), encoding: .utf8)) ?? ""
  }

  /// The preset's documents, at the test server: same path and query, loopback host.
  func local(_ documents: [URLDocument], _ base: String) -> [URLDocument] {
    documents.map { document in
      var copy = document
      let url = URLComponents(string: document.url)!
      copy.url = base + url.path + (url.query.map { "?" + $0 } ?? "")
      return copy
    }
  }

  func fetch(_ documents: [URLDocument], policy: EntryPolicy = EntryPolicy()) async -> Result<
    SourceResult, SourceError
  > {
    let source = URLSource(
      config: URLSourceConfig(
        name: "cdn", documents: documents, retry: .fast, policy: policy),
      context: makeContext())
    do throws(SourceError) {
      return .success(try await source.fetch())
    } catch {
      return .failure(error)
    }
  }

  /// EdgeOne answers per `version` and `area`, as its documentation describes.
  static func edgeOne(_ request: TestRequest) -> TestResponse {
    guard request.path == "/ips" else { return .text("not found", status: .notFound) }
    switch request.query["version"] {
    case "v4": return .text(fixture("edgeone-v4.txt"))
    case "v6": return .text(fixture("edgeone-v6.txt"))
    default: return .text(fixture("edgeone-v4.txt") + fixture("edgeone-v6.txt"))
    }
  }

  @Test func edgeOnePresetFetchesBothFamiliesAsText() async throws {
    let (result, requests) = try await withTestServer(Self.edgeOne) { base, log in
      (await fetch(local(URLPreset.edgeone.documents, base)), log.requests)
    }
    let set = try result.get().set
    #expect(set.v4.prefixes.count == 5)
    #expect(set.v6.prefixes.count == 3)
    #expect(requests.map(\.uri) == ["/ips?version=v4", "/ips?version=v6"])
    #expect(
      URLPreset.edgeone.documents.map(\.url) == [
        "https://api.edgeone.ai/ips?version=v4", "https://api.edgeone.ai/ips?version=v6",
      ])
  }

  @Test(arguments: EdgeOneArea.allCases)
  func edgeOneAreaIsSentWithEachFamily(area: EdgeOneArea) async throws {
    let requests = try await withTestServer(Self.edgeOne) { base, log in
      _ = try await fetch(local(URLPreset.edgeone.documents(area: area), base)).get()
      return log.requests
    }
    #expect(requests.map { $0.query["area"] } == [area.rawValue, area.rawValue])
    #expect(requests.map { $0.query["version"] } == ["v4", "v6"])
  }

  /// A third party reports that the retired endpoint answers 200 with a default route. That
  /// must fail the source (and so leave the last good list in place), never open the port.
  @Test func edgeOneDeprecationAnswerWithADefaultRouteFailsTheSource() async throws {
    let result = try await withTestServer({ _ in .text(Self.fixture("edgeone-deprecated.txt")) }) {
      base, _ in await fetch(local(URLPreset.edgeone.documents, base))
    }
    guard case .failure(let error) = result else {
      Issue.record("a list of 0.0.0.0/0 was accepted: \(result)")
      return
    }
    #expect(error.description.contains("0.0.0.0/0"))
    let skipping = try await withTestServer({ _ in
      .text(Self.fixture("edgeone-deprecated.txt"))
    }) { base, _ in
      await fetch(
        local(URLPreset.edgeone.documents, base), policy: EntryPolicy(onInvalidEntry: .skip))
    }
    // Skipping bad entries leaves nothing, which fails too.
    guard case .failure = skipping else {
      Issue.record("skipping the default route left a list: \(skipping)")
      return
    }
  }

  @Test func gcorePresetReadsAddressesAndAddressesV6() async throws {
    let (result, requests) = try await withTestServer({ request in
      request.path == "/cdn/public-ip-list"
        ? .json(Self.fixture("gcore-public-ip-list.json"))
        : .text("not found", status: .notFound)
    }) { base, log in (await fetch(local(URLPreset.gcore.documents, base)), log.requests) }
    let set = try result.get().set
    #expect(set.v4.prefixes.count == 4)
    #expect(set.v6.prefixes.count == 2)
    #expect(set.contains(address("92.223.74.19")))
    #expect(requests.first?.header("accept") == "application/json")
    #expect(URLPreset.gcore.documents.map(\.url) == ["https://api.gcore.com/cdn/public-ip-list"])
  }

  /// Bunny answers XML unless the request accepts JSON only.
  static func bunny(_ request: TestRequest) -> TestResponse {
    guard request.header("accept") == "application/json" else {
      return .text(fixture("bunny-edgeserverlist.xml"), headers: [("content-type", "text/xml")])
    }
    switch request.path {
    case "/api/system/edgeserverlist": return .json(fixture("bunny-edgeserverlist.json"))
    case "/api/system/edgeserverlist/IPv6": return .json(fixture("bunny-edgeserverlist-ipv6.json"))
    default: return .text("not found", status: .notFound)
    }
  }

  @Test func bunnyPresetAsksForJSONAndReadsBothLists() async throws {
    let result = try await withTestServer(Self.bunny) { base, _ in
      await fetch(local(URLPreset.bunny.documents, base))
    }
    let set = try result.get().set
    #expect(set.v4.prefixes.count == 5)
    #expect(set.v6.prefixes.count == 3)
    #expect(set.v4.prefixes.allSatisfy { $0.length == 32 })
    #expect(
      URLPreset.bunny.documents.map(\.url) == [
        "https://bunnycdn.com/api/system/edgeserverlist",
        "https://bunnycdn.com/api/system/edgeserverlist/IPv6",
      ])
  }

  /// What the preset's Accept header avoids: the XML answer is not read as a list.
  @Test func bunnyXMLAnswerFailsTheSource() async throws {
    let result = try await withTestServer(Self.bunny) { base, _ in
      await fetch(
        local(URLPreset.bunny.documents, base).map {
          var document = $0
          document.accept = nil
          return document
        })
    }
    guard case .failure(let error) = result, case .malformedDocument = error else {
      Issue.record("the XML answer was not refused: \(result)")
      return
    }
  }

  @Test func googleCloudStaticPresetHoldsTheDocumentedRanges() async throws {
    let source = StaticSource(
      config: StaticSourceConfig(
        name: "google", prefixes: StaticPreset.googleCloudLoadBalancing.prefixes),
      context: makeContext())
    let set = try await source.fetch().set
    #expect(
      set
        == DualStackSet(
          prefixes: [
            "35.191.0.0/16", "130.211.0.0/22", "2600:2d00:1:b029::/64", "2600:2d00:1:1::/64",
          ].map(prefix)))
  }
}
