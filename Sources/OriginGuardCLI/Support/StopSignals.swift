import Dispatch
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Catches the signals that end a waiting bootstrap (Ctrl-C, the terminal hanging up,
/// `kill`) so that it rolls back before it exits, and ignores Ctrl-Z, which would stop it
/// while it holds the run lock. The first signal wins.
///
/// Unchecked: `sources` is written once in `init` and only keeps the sources alive.
final class StopSignals: @unchecked Sendable {
  static let caught: [(Int32, String)] = [
    (SIGINT, "SIGINT"), (SIGHUP, "SIGHUP"), (SIGTERM, "SIGTERM"),
  ]

  private let first = Mutex<String?>(nil)
  private var sources: [any DispatchSourceSignal] = []

  init() {
    signal(SIGTSTP, SIG_IGN)
    // A closed terminal or pipe must fail a write, not end the process before the rollback.
    signal(SIGPIPE, SIG_IGN)
    var made: [any DispatchSourceSignal] = []
    for (number, name) in Self.caught {
      signal(number, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
      source.setEventHandler { [self] in
        first.withLock { if $0 == nil { $0 = name } }
      }
      source.resume()
      made.append(source)
    }
    sources = made
  }

  /// The name of the first signal received, if any.
  var received: String? { first.withLock { $0 } }
}
