import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A coverage-blind mutational fuzzer: takes a seed (or the last input), applies a few random
/// byte-level mutations, runs the target, repeats until the time or run budget is spent.
///
/// A crash ends the process, as it does under libFuzzer. So that the input is not lost, each
/// input is first copied into a shared memory mapping of `--mirror FILE` (no system call per
/// run); the file then holds the crashing input for `scripts/fuzz` to keep.
struct RandomMutationFuzzer {
  struct Options {
    var seconds: Double = 10
    var runs: Int?
    var seed: UInt64 = UInt64.random(in: 1...UInt64.max)
    var corpus: [String] = []
    var replay: [String] = []
    var mirror: String?
    var maxLength = 65_536

    init(_ arguments: [String]) throws {
      var remaining = arguments[...]
      func value(_ flag: String) throws -> String {
        guard let value = remaining.popFirst() else { throw UsageError("\(flag) needs a value") }
        return value
      }
      while let flag = remaining.popFirst() {
        switch flag {
        case "--seconds": seconds = try Double(value(flag)) ?? { throw UsageError(flag) }()
        case "--runs": runs = try Int(value(flag)) ?? { throw UsageError(flag) }()
        case "--seed": seed = try UInt64(value(flag)) ?? { throw UsageError(flag) }()
        case "--corpus": corpus.append(try value(flag))
        case "--replay": replay.append(try value(flag))
        case "--mirror": mirror = try value(flag)
        case "--max-length": maxLength = try Int(value(flag)) ?? { throw UsageError(flag) }()
        default:
          throw UsageError(
            "unknown argument \(flag); use --seconds S --runs N --seed N --corpus DIR --replay PATH --mirror FILE --max-length N --write-seeds DIR"
          )
        }
      }
    }
  }

  struct UsageError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
  }

  let name: String
  let seeds: [[UInt8]]
  let dictionary: [[UInt8]]
  let target: FuzzTarget
  /// Run each input in a forked child, for targets whose libraries end the process on bad
  /// input (libnftnl calls `exit(1)` when the kernel's attributes fail its checks). Such an
  /// exit is counted, not a finding; a signal still is.
  let isolated: Bool

  /// Runs until the budget is spent and prints the figures; returns the exit status.
  func run(_ options: Options) throws -> Int32 {
    let mirror = try options.mirror.map { try InputMirror(path: $0, capacity: options.maxLength) }
    if !options.replay.isEmpty {
      let inputs = try options.replay.flatMap(Self.files)
      for file in inputs {
        let input = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
        mirror?.store(input)
        execute(input)
      }
      print("fuzz \(name): replayed \(inputs.count) inputs, no crash")
      return 0
    }
    var pool = seeds
    for directory in options.corpus {
      pool += try Self.files(directory).map {
        try [UInt8](Data(contentsOf: URL(fileURLWithPath: $0)))
      }
    }
    if pool.isEmpty { pool = [[]] }
    var random = Xoshiro256(seed: options.seed)
    let mutator = Mutator(dictionary: dictionary, maxLength: options.maxLength)
    let clock = ContinuousClock()
    let start = clock.now
    let deadline = start + .milliseconds(Int(options.seconds * 1000))
    var executions = 0
    var libraryExits = 0
    var input: [UInt8] = []
    // Seeds first, unchanged: they must pass too.
    for seed in pool {
      mirror?.store(seed)
      if !execute(seed) { libraryExits += 1 }
      executions += 1
    }
    while options.runs.map({ executions < $0 }) ?? true {
      if executions % 64 == 0 && clock.now >= deadline { break }
      // Mostly fresh from a seed; sometimes keep mutating the last input to wander further.
      if input.isEmpty || random.next() % 4 != 0 {
        input = pool[Int(random.next() % UInt64(pool.count))]
      }
      mutator.mutate(&input, other: pool[Int(random.next() % UInt64(pool.count))], random: &random)
      mirror?.store(input)
      if !execute(input) { libraryExits += 1 }
      executions += 1
    }
    let seconds =
      Double((clock.now - start).components.attoseconds) / 1e18
      + Double((clock.now - start).components.seconds)
    print(
      "fuzz \(name): \(executions) executions in \(String(format: "%.1f", seconds)) s (\(Int(Double(executions) / max(seconds, 0.001)))/s), seed \(options.seed), corpus \(pool.count), 0 crashes"
        + (isolated ? ", \(libraryExits) library exits" : "")
    )
    return 0
  }

  /// Runs one input; false when, isolated, the child exited non-zero (a library's exit).
  /// A crash of the child is re-raised here, so it ends the fuzzer as it would unisolated.
  @discardableResult
  private func execute(_ input: [UInt8]) -> Bool {
    guard isolated else {
      _ = input.withUnsafeBufferPointer { target($0.baseAddress, $0.count) }
      return true
    }
    let child = fork()
    if child == 0 {
      // The library's complaint on every exit would drown the log; replay shows it.
      let devNull = open("/dev/null", O_WRONLY)
      dup2(devNull, 2)
      _ = input.withUnsafeBufferPointer { target($0.baseAddress, $0.count) }
      _exit(0)
    }
    var status: Int32 = 0
    while waitpid(child, &status, 0) < 0 && errno == EINTR {}
    let signal = status & 0x7f
    if signal != 0 {
      FileHandle.standardError.write(
        Data("fuzz \(name): the target died of signal \(signal)\n".utf8))
      Glibc.signal(signal, SIG_DFL)
      raise(signal)
    }
    return (status >> 8) & 0xff == 0
  }

  static func files(_ path: String) throws -> [String] {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      return []
    }
    guard isDirectory.boolValue else { return [path] }
    return try FileManager.default.contentsOfDirectory(atPath: path).sorted()
      .filter { !$0.hasPrefix(".") }.map { path + "/" + $0 }
  }
}

/// The current input, mirrored into a file through a shared mapping: 8 bytes of length, then
/// the bytes. Survives the process's crash because the page cache, not the process, holds it.
final class InputMirror {
  private let base: UnsafeMutableRawPointer
  private let capacity: Int

  init(path: String, capacity: Int) throws {
    let fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw RandomMutationFuzzer.UsageError("cannot open \(path)") }
    defer { close(fd) }
    guard ftruncate(fd, off_t(capacity + 8)) == 0,
      let mapping = mmap(nil, capacity + 8, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0),
      mapping != MAP_FAILED
    else { throw RandomMutationFuzzer.UsageError("cannot map \(path)") }
    base = mapping
    self.capacity = capacity
  }

  func store(_ input: [UInt8]) {
    let count = min(input.count, capacity)
    base.storeBytes(of: UInt64(count), as: UInt64.self)
    input.withUnsafeBytes { (base + 8).copyMemory(from: $0.baseAddress!, byteCount: count) }
  }

  deinit { munmap(base, capacity + 8) }
}

/// xoshiro256**, seeded through splitmix64: fast, and reproducible from the printed seed.
struct Xoshiro256: RandomNumberGenerator {
  private var state: (UInt64, UInt64, UInt64, UInt64)

  init(seed: UInt64) {
    var x = seed
    func splitmix() -> UInt64 {
      x &+= 0x9E37_79B9_7F4A_7C15
      var z = x
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    state = (splitmix(), splitmix(), splitmix(), splitmix())
  }

  mutating func next() -> UInt64 {
    let result = ((state.1 &* 5) << 7 | (state.1 &* 5) >> 57) &* 9
    let t = state.1 << 17
    state.2 ^= state.0
    state.3 ^= state.1
    state.1 ^= state.2
    state.0 ^= state.3
    state.2 ^= t
    state.3 = state.3 << 45 | state.3 >> 19
    return result
  }
}
