import AddressSources

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// The text of a configuration file and its permission bits, both from one open file
/// descriptor, so the mode checked is the mode of the file whose text was read.
struct ConfigurationFile {
  /// A configuration is a few kilobytes; refusing more keeps `/dev/zero` from filling memory.
  static let maximumSize = 1 << 20

  let text: String
  /// `st_mode & 0o7777`.
  let mode: UInt32

  static func contents(of path: String, problems: ProblemList) -> ConfigurationFile? {
    func fail(_ reason: String) -> ConfigurationFile? {
      problems.add(.unreadableFile, line: nil, keyPath: "", reason)
      return nil
    }
    let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)
    guard descriptor >= 0 else { return fail("cannot open: \(describeErrno())") }
    defer { close(descriptor) }
    var status = stat()
    guard fstat(descriptor, &status) == 0 else { return fail("cannot stat: \(describeErrno())") }
    guard status.st_mode & S_IFMT == S_IFREG else { return fail("not a regular file") }
    // Whoever can write the configuration chooses what the firewall lets through: the same
    // rule as for the state directory.
    if let problem = FileTrust.ownershipProblem(status) {
      problems.add(
        .untrustedFile, line: nil, keyPath: "",
        "it is \(problem), so someone other than \(FileTrust.userName) could choose what the firewall lets through; check its content, then run `chown \(FileTrust.userName): \(path) && chmod go-w \(path)`"
      )
      return nil
    }
    guard Int(status.st_size) <= maximumSize else {
      return fail("\(status.st_size) bytes; a configuration file is at most \(maximumSize)")
    }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 64 << 10)
    while true {
      let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
      if count < 0 {
        if errno == EINTR { continue }
        return fail("cannot read: \(describeErrno())")
      }
      if count == 0 { break }
      bytes += buffer[..<count]
      if bytes.count > maximumSize { return fail("larger than \(maximumSize) bytes") }
    }
    guard let text = String(validating: bytes, as: UTF8.self) else {
      return fail("not UTF-8 text")
    }
    return ConfigurationFile(text: text, mode: UInt32(status.st_mode) & 0o7777)
  }

  private static func describeErrno() -> String {
    String(cString: strerror(errno))
  }
}
