import Foundation

/// The `origin-guard` executable built beside the test bundle (`swift build --build-tests`
/// builds it into the same directory), so end-to-end tests run the real program.
public enum OriginGuardBinary {
  public static var path: String {
    if let override = ProcessInfo.processInfo.environment["ORIGIN_GUARD_BIN"] { return override }
    let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
      ?? CommandLine.arguments[0]
    var directory = URL(fileURLWithPath: executable).deletingLastPathComponent()
    // The test runner may live inside the .xctest bundle directory.
    while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("origin-guard").path),
      directory.path != "/"
    {
      directory.deleteLastPathComponent()
    }
    return directory.appendingPathComponent("origin-guard").path
  }
}
