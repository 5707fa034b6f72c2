import AddressSet
import AddressSources
import Foundation
import Testing

@Suite struct FileSourceTests {
  func fetch(_ contents: String, policy: EntryPolicy = EntryPolicy()) async throws(SourceError) -> (
    SourceResult, String
  ) {
    let directory = try! TemporaryDirectory()
    defer { directory.cleanup() }
    let path = try! directory.write("list.txt", contents)
    let source = FileSource(
      config: FileSourceConfig(name: "extra", path: path, policy: policy), context: makeContext())
    return (try await source.fetch(), path)
  }

  @Test func readsLinesCommentsAndBlankLines() async throws {
    let (result, path) = try await fetch(
      """
      # Back-to-origin ranges, maintained by hand.

      192.0.2.0/24   # office
      \t2001:db8::/48
      198.51.100.7\r
         # indented comment
      """)
    #expect(
      result.entries.map(\.prefix) == [
        prefix("192.0.2.0/24"), prefix("2001:db8::/48"), prefix("198.51.100.7/32"),
      ])
    #expect(result.entries.map(\.origin) == [3, 4, 5].map { Origin.file(path: path, line: $0) })
    #expect(result.kind == .file)
  }

  @Test func errorNamesFileLineAndColumn() async {
    let directory = try! TemporaryDirectory()
    defer { directory.cleanup() }
    let path = try! directory.write("list.txt", "192.0.2.0/24\n\n  198.51.100.0/2x # typo\n")
    let source = FileSource(
      config: FileSourceConfig(name: "extra", path: path), context: makeContext())
    let error = await expectSourceError { () async throws(SourceError) in try await source.fetch() }
    guard case .invalidEntry("extra", .file(path, 3), "198.51.100.0/2x", 17?, _) = error else {
      Issue.record("unexpected \(String(describing: error))")
      return
    }
    #expect(error?.description.contains("file \(path) line 3, column 17") == true)
  }

  @Test func readsAJSONArrayOfStrings() async throws {
    let (result, path) = try await fetch(
      """
        [
        "192.0.2.0/24",
        "2001:db8::/32", "198.51.100.1"
      ]
      """)
    #expect(
      result.entries.map(\.prefix) == [
        prefix("192.0.2.0/24"), prefix("2001:db8::/32"), prefix("198.51.100.1/32"),
      ])
    #expect(result.entries.map(\.origin) == [2, 3, 3].map { Origin.file(path: path, line: $0) })
  }

  @Test func jsonErrorsNameLineAndColumn() async {
    let directory = try! TemporaryDirectory()
    defer { directory.cleanup() }
    let path = try! directory.write("list.json", "[\"192.0.2.0/24\",\n  \"10.1.2.256\"]")
    let source = FileSource(
      config: FileSourceConfig(name: "extra", path: path), context: makeContext())
    let error = await expectSourceError { () async throws(SourceError) in try await source.fetch() }
    // The string's quote is at column 3; "256" at column 8 inside the string: 3 + 8 = 11.
    guard case .invalidEntry("extra", .file(path, 2), "10.1.2.256", 11?, _) = error else {
      Issue.record("unexpected \(String(describing: error))")
      return
    }
  }

  @Test func jsonNonStringElementsAreInvalidEntries() async throws {
    let (result, _) = try await fetch(
      #"["192.0.2.0/24", 42, {"a": 1}]"#, policy: EntryPolicy(onInvalidEntry: .skip))
    #expect(result.entries.count == 1)
    #expect(result.skipped.map(\.entry) == ["42", #"{"a":1}"#])
  }

  @Test func malformedJSONFailsWithTheFileName() async {
    let directory = try! TemporaryDirectory()
    defer { directory.cleanup() }
    let path = try! directory.write("list.json", "[\"192.0.2.0/24\",")
    let source = FileSource(
      config: FileSourceConfig(name: "extra", path: path), context: makeContext())
    let error = await expectSourceError { () async throws(SourceError) in try await source.fetch() }
    guard case .malformedDocument("extra", .file(path, _), _, nil) = error else {
      Issue.record("unexpected \(String(describing: error))")
      return
    }
  }

  @Test func jsonObjectIsNotAList() async {
    let directory = try! TemporaryDirectory()
    defer { directory.cleanup() }
    let path = try! directory.write("list.json", #"{"prefixes": []}"#)
    let source = FileSource(
      config: FileSourceConfig(name: "extra", path: path), context: makeContext())
    let error = await expectSourceError { () async throws(SourceError) in try await source.fetch() }
    #expect(error?.description.contains("array of strings") == true)
  }

  @Test func missingFileIsUnreadable() async {
    let source = FileSource(
      config: FileSourceConfig(name: "extra", path: "/nonexistent/origin-guard/list.txt"),
      context: makeContext())
    let error = await expectSourceError { () async throws(SourceError) in try await source.fetch() }
    guard case .unreadableFile("extra", "/nonexistent/origin-guard/list.txt", let reason) = error
    else {
      Issue.record("unexpected \(String(describing: error))")
      return
    }
    #expect(reason.lowercased().contains("no such file"))
  }

  @Test func commentsOnlyFileIsEmpty() async {
    do {
      _ = try await fetch("# nothing yet\n\n")
      Issue.record("expected an error")
    } catch {
      guard case .emptyResult("extra", nil) = error else {
        Issue.record("unexpected \(error)")
        return
      }
    }
  }

  @Test func tildeExpandsToTheInjectedHome() async throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    try directory.write("lists/cdn.txt", "192.0.2.0/24\n")
    let source = FileSource(
      config: FileSourceConfig(name: "extra", path: "~/lists/cdn.txt"),
      context: makeContext(home: directory.path))
    #expect(try await source.fetch().entries.count == 1)
  }
}
