import Foundation

/// A fuzz target's one-input function, in the shape libFuzzer calls: bytes in, 0 out.
public typealias FuzzTarget = @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32

#if LIBFUZZER
  // From libclang_rt.fuzzer: runs libFuzzer with our own main (ours is linked first, so the
  // runtime's main is never pulled in).
  @_silgen_name("LLVMFuzzerRunDriver")
  private func runLibFuzzer(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: FuzzTarget
  ) -> Int32
#endif

/// The `main` of every fuzz target.
///
/// Built with `-sanitize=fuzzer -DLIBFUZZER` (`scripts/fuzz --libfuzzer`) it hands over to
/// libFuzzer, with coverage feedback. In an ordinary build it runs `RandomMutationFuzzer`, a
/// coverage-blind mutator over the target's seeds, so that CI exercises the same targets with
/// no special toolchain flags. Both modes understand `--write-seeds DIR`.
public enum FuzzMain {
  /// - Parameter isolated: run each input in a forked child (see `RandomMutationFuzzer`).
  public static func run(
    name: String, seeds: [[UInt8]], dictionary: [String] = [], isolated: Bool = false,
    target: FuzzTarget
  ) -> Never {
    let arguments = Array(CommandLine.arguments.dropFirst())
    if let index = arguments.firstIndex(of: "--write-seeds"), index + 1 < arguments.count {
      exit(writeSeeds(seeds, dictionary: dictionary, to: arguments[index + 1]))
    }
    #if LIBFUZZER
      var argc = CommandLine.argc
      var argv = CommandLine.unsafeArgv
      exit(runLibFuzzer(&argc, &argv, target))
    #else
      do {
        let options = try RandomMutationFuzzer.Options(arguments)
        let fuzzer = RandomMutationFuzzer(
          name: name, seeds: seeds, dictionary: dictionary.map { Array($0.utf8) }, target: target,
          isolated: isolated)
        exit(try fuzzer.run(options))
      } catch {
        FileHandle.standardError.write(Data("fuzz \(name): \(error)\n".utf8))
        exit(64)
      }
    #endif
  }

  /// Seeds as files (`seed-N`) and the dictionary in libFuzzer's `-dict` format.
  private static func writeSeeds(_ seeds: [[UInt8]], dictionary: [String], to directory: String)
    -> Int32
  {
    do {
      try FileManager.default.createDirectory(
        atPath: directory, withIntermediateDirectories: true)
      for (index, seed) in seeds.enumerated() {
        try Data(seed).write(to: URL(fileURLWithPath: directory + "/seed-\(index)"))
      }
      let entries = dictionary.map { token in
        "\""
          + token.utf8.map { byte in
            byte >= 0x20 && byte < 0x7f && byte != 0x22 && byte != 0x5c
              ? String(UnicodeScalar(byte)) : String(format: "\\x%02X", byte)
          }.joined() + "\""
      }
      try (entries.joined(separator: "\n") + "\n").write(
        toFile: directory + ".dict", atomically: true, encoding: .utf8)
      return 0
    } catch {
      FileHandle.standardError.write(Data("cannot write seeds: \(error)\n".utf8))
      return 1
    }
  }
}
