import Glibc

/// What `origin-guard --version` prints: the release, the commit it was built from and the
/// libnftnl it runs with. The first line is the release alone, for scripts.
enum OriginGuardVersion {
  static let current = "0.1.0"

  static var description: String {
    """
    \(current)
    commit: \(BuildCommit.embedded?.description ?? "unknown (not built by scripts/build-release)")
    libnftnl: \(LoadedLibrary.find(named: "libnftnl.so")?.description ?? "not loaded")
    """
  }
}

/// The git commit scripts/build-release writes into the ELF build-id note
/// (`--build-id=0x<marker><commit>`): a linker option, so a new commit relinks the binary
/// instead of recompiling every module.
struct BuildCommit: CustomStringConvertible {
  /// "OGc1" (clean work tree) or "OGd1" (uncommitted changes), then the commit's bytes.
  static let cleanMarker: [UInt8] = Array("OGc1".utf8)
  static let dirtyMarker: [UInt8] = Array("OGd1".utf8)

  let hash: [UInt8]
  let hasUncommittedChanges: Bool

  var description: String {
    hash.map { hex($0) }.joined() + (hasUncommittedChanges ? " with uncommitted changes" : "")
  }

  /// Decodes a build-id note's descriptor; nil for an ordinary (content hash) build id.
  init?(buildID: [UInt8]) {
    guard buildID.count > 4 else { return nil }
    let marker = Array(buildID.prefix(4))
    guard marker == Self.cleanMarker || marker == Self.dirtyMarker else { return nil }
    hash = Array(buildID.dropFirst(4))
    hasUncommittedChanges = marker == Self.dirtyMarker
  }

  static var embedded: BuildCommit? {
    ProgramNotes.buildID().flatMap { BuildCommit(buildID: $0) }
  }

  private func hex(_ byte: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 0xf)]])
  }
}

/// The executable's own NT_GNU_BUILD_ID note, read from its file (/proc/self/exe): the ELF
/// header, the program headers, then each PT_NOTE segment.
enum ProgramNotes {
  private static let noteTypeBuildID: UInt32 = 3  // NT_GNU_BUILD_ID
  private static let segmentTypeNote: UInt32 = 4  // PT_NOTE

  static func buildID(executable: String = "/proc/self/exe") -> [UInt8]? {
    let descriptor = open(executable, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return nil }
    defer { close(descriptor) }
    func bytes(at offset: Int, count: Int) -> [UInt8]? {
      guard count > 0, count <= 1 << 20 else { return nil }
      var buffer = [UInt8](repeating: 0, count: count)
      let read = buffer.withUnsafeMutableBytes {
        pread(descriptor, $0.baseAddress, count, off_t(offset))
      }
      return read == count ? buffer : nil
    }
    // ELF64 little endian: "\u{7f}ELF", class 2, data 1.
    guard let header = bytes(at: 0, count: 64), header[0..<6] == [0x7f, 0x45, 0x4c, 0x46, 2, 1]
    else { return nil }
    let programHeaders = Int(header.integer(at: 32, as: UInt64.self))
    let entrySize = Int(header.integer(at: 54, as: UInt16.self))
    let count = Int(header.integer(at: 56, as: UInt16.self))
    guard entrySize >= 56, let table = bytes(at: programHeaders, count: entrySize * count) else {
      return nil
    }
    for index in 0..<count {
      let entry = index * entrySize
      guard table.integer(at: entry, as: UInt32.self) == segmentTypeNote,
        let notes = bytes(
          at: Int(table.integer(at: entry + 8, as: UInt64.self)),
          count: Int(table.integer(at: entry + 32, as: UInt64.self))),
        let id = notes.withUnsafeBytes({ buildID(in: $0) })
      else { continue }
      return id
    }
    return nil
  }

  /// Walks the notes of one PT_NOTE segment: name size, descriptor size, type, then the
  /// name and the descriptor, each padded to 4 bytes.
  static func buildID(in notes: UnsafeRawBufferPointer) -> [UInt8]? {
    var offset = 0
    func padded(_ size: Int) -> Int { (size + 3) & ~3 }
    while offset + 12 <= notes.count {
      let nameSize = Int(notes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
      let descriptorSize = Int(notes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self))
      let type = notes.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self)
      let name = offset + 12
      let descriptor = name + padded(nameSize)
      guard descriptor + descriptorSize <= notes.count else { return nil }
      if type == noteTypeBuildID, nameSize == 4,
        Array(notes[name..<name + 4]) == Array("GNU\0".utf8)
      {
        return Array(notes[descriptor..<descriptor + descriptorSize])
      }
      offset = descriptor + padded(descriptorSize)
    }
    return nil
  }
}

/// A shared library loaded into this process, named by the file it was loaded from.
struct LoadedLibrary: CustomStringConvertible {
  /// The file the library was mapped from, symbolic links resolved by the kernel: its name
  /// carries the library's full version (libnftnl.so.11.6.0), which the soname does not.
  let path: String

  var description: String { "\(path.split(separator: "/").last ?? "?") (loaded from \(path))" }

  /// The first mapping in /proc/self/maps of a file whose name starts with `prefix`.
  static func find(named prefix: String, maps: String = "/proc/self/maps") -> LoadedLibrary? {
    guard let file = fopen(maps, "re") else { return nil }
    defer { fclose(file) }
    var line: UnsafeMutablePointer<CChar>?
    var capacity = 0
    defer { free(line) }
    while getline(&line, &capacity, file) > 0, let line {
      // address perms offset device inode path
      let fields = String(cString: line).split(separator: " ", omittingEmptySubsequences: true)
      guard fields.count >= 6, fields[5].hasPrefix("/") else { continue }
      let path = fields[5...].joined(separator: " ").droppingTrailingNewlines()
      guard path.split(separator: "/").last?.hasPrefix(prefix) == true else { continue }
      return LoadedLibrary(path: path)
    }
    return nil
  }
}

extension [UInt8] {
  fileprivate func integer<T: FixedWidthInteger>(at offset: Int, as: T.Type) -> T {
    self[offset..<offset + MemoryLayout<T>.size].reversed().reduce(0) { $0 << 8 | T($1) }
  }
}

extension String {
  fileprivate func droppingTrailingNewlines() -> String {
    var result = self
    while result.last == "\n" { result.removeLast() }
    return result
  }
}
