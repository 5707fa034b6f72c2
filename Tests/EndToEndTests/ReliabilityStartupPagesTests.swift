import Foundation
import TestSupport
import Testing

/// The binary gives back the pages of its relocation table once the loader has used them
/// (Sources/OriginGuardCLI/Support/RelocationTablePages.swift): checked from outside, in the
/// kernel's page map of a running daemon, against the table's place in the ELF file.
@Suite("Reliability: start-up pages", .enabled(if: KernelTests.enabled))
struct ReliabilityStartupPagesTests {
  /// `readelf` columns of one section or the first LOAD segment, as numbers.
  static func hexFields(_ line: Substring) -> [UInt] {
    line.split(separator: " ").compactMap { field in
      field.hasPrefix("0x") ? UInt(field.dropFirst(2), radix: 16) : UInt(field, radix: 16)
    }
  }

  /// Whether the page holding `address` is in the process's memory (bit 63 of its
  /// /proc/PID/pagemap entry).
  static func isResident(_ address: UInt, pagemap: FileHandle) throws -> Bool {
    try pagemap.seek(toOffset: UInt64(address / 4096 * 8))
    let entry = try #require(try pagemap.read(upToCount: 8))
    let value = entry.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
    return value & (1 << 63) != 0
  }

  @Test func theRelocationTableIsNotResidentOnceRunning() async throws {
    let binary = URL(fileURLWithPath: OriginGuardBinary.path).resolvingSymlinksInPath().path
    let sections = try run(["readelf", "-S", "-W", binary]).output
    let relaLine = try #require(
      sections.split(separator: "\n").first { $0.contains(" .rela.dyn ") }, "\(sections)")
    // [Nr] Name Type Address Off Size ...: after the name and type, address, offset, size.
    let relaFields = Self.hexFields(
      relaLine.split(separator: "RELA", maxSplits: 1).last ?? relaLine)
    let (address, size) = (relaFields[0], relaFields[2])
    try #require(size > 3 * 4096, "a table of \(size) bytes has no whole page to give back")
    let segments = try run(["readelf", "-l", "-W", binary]).output
    let firstLoad = try #require(
      segments.split(separator: "\n").first {
        $0.trimmingCharacters(in: .whitespaces).hasPrefix("LOAD")
      })
    let firstVirtualAddress = Self.hexFields(firstLoad)[1]

    try await GuardSandbox.with { sandbox in
      try sandbox.write("allow.txt", "192.0.2.0/24\n")
      try sandbox.writeConfiguration(
        sources: """
            - name: list
              type: file
              path: \(sandbox.directory)/allow.txt
          """,
        extra: "interval: 1h\njitter: 0s")
      let log = sandbox.directory + "/run.log"
      let daemon = try sandbox.startOriginGuard(["run"], output: log)
      defer { _ = daemon.stop() }
      try waitUntil("the daemon's first sync", timeout: .seconds(60)) {
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return output.contains("sync: added")
      }
      let maps = try String(contentsOfFile: "/proc/\(daemon.pid)/maps", encoding: .utf8)
      let mapping = try #require(
        maps.split(separator: "\n").first { $0.hasSuffix(" " + binary) }, "\(maps)")
      let start = try #require(UInt(mapping.prefix { $0 != "-" }, radix: 16))
      let bias = start - firstVirtualAddress / 4096 * 4096
      let pagemap = try FileHandle(
        forReadingFrom: URL(fileURLWithPath: "/proc/\(daemon.pid)/pagemap"))
      defer { try? pagemap.close() }

      // The ELF and program headers: read at start-up by the loader and by the binary itself.
      #expect(try Self.isResident(start, pagemap: pagemap))
      let firstPage = (bias + address + 4095) / 4096 * 4096
      let end = (bias + address + size) / 4096 * 4096
      let resident = try stride(from: firstPage, to: end, by: 4096).filter {
        try Self.isResident($0, pagemap: pagemap)
      }
      #expect(
        resident.count == 0,
        "\(resident.count) of \((end - firstPage) / 4096) pages of .rela.dyn are resident")
    }
  }
}
