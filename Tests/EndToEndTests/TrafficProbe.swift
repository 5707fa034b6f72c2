import Foundation
import Testing

/// How a TCP connection attempt ended.
enum Reach: Equatable, Sendable, CustomStringConvertible {
  /// Handshake completed and the server's first byte arrived.
  case connected
  /// Answered with a reset: nothing listens, but the packet got through.
  case refused
  /// No answer within the probe's timeout: a firewall dropped the handshake.
  case dropped
  case failed(String)

  init(probeOutput text: String) {
    switch text {
    case "connected": self = .connected
    case "refused": self = .refused
    case "dropped": self = .dropped
    default: self = .failed(text)
    }
  }

  var description: String {
    switch self {
    case .connected: "connected"
    case .refused: "refused"
    case .dropped: "dropped"
    case .failed(let reason): "failed (\(reason))"
    }
  }
}

/// One connection attempt: from a host of the topology to an address and port.
struct Connection: Hashable, Sendable, CustomStringConvertible {
  let from: Topology.Role
  let address: String
  let port: Int

  var description: String {
    let target = address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)"
    return "\(from.rawValue) → \(target)"
  }
}

/// What each connection attempt should end in, built up per client.
struct ExpectedReach: Sendable {
  private(set) var outcomes: [Connection: Reach] = [:]

  /// From `role` to every address in `addresses` (the origin's, by default) on every port.
  mutating func set(
    _ reach: Reach, from role: Topology.Role, ports: [Int],
    to addresses: [String] = Topology.Role.origin.addresses
  ) {
    for address in addresses {
      for port in ports { outcomes[Connection(from: role, address: address, port: port)] = reach }
    }
  }
}

extension Topology {
  /// Tries every connection, all at once: one probe process per client namespace.
  func reach(_ connections: some Collection<Connection>) async throws -> [Connection: Reach] {
    let byClient = Dictionary(grouping: connections, by: \.from)
    let probe = path(TrafficProgram.probe.fileName)
    return try await withThrowingTaskGroup(of: [Connection: Reach].self) { group in
      for (role, attempts) in byClient {
        group.addTask {
          let arguments = attempts.flatMap { [$0.address, String($0.port)] }
          let output = try await self.run(in: role, [TrafficProgram.python, probe] + arguments)
            .output
          var outcomes: [Connection: Reach] = [:]
          for line in output.split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 2).map(String.init)
            guard fields.count == 3, let port = Int(fields[1]) else { continue }
            outcomes[Connection(from: role, address: fields[0], port: port)] =
              Reach(probeOutput: fields[2])
          }
          return outcomes
        }
      }
      return try await group.reduce(into: [:]) { $0.merge($1) { first, _ in first } }
    }
  }

  /// Probes every connection of `expected` and records an issue for each one that ended
  /// otherwise; returns what was seen, so that a later step can compare against it.
  @discardableResult
  func expect(
    _ expected: ExpectedReach, _ comment: Comment, sourceLocation: SourceLocation = #_sourceLocation
  ) async throws -> [Connection: Reach] {
    let seen = try await reach(expected.outcomes.keys)
    for (connection, reach) in expected.outcomes.sorted(by: {
      $0.key.description < $1.key.description
    }) {
      let actual = seen[connection].map(\.description) ?? "not probed"
      #expect(
        seen[connection] == reach, "\(comment): \(connection) \(actual), expected \(reach)",
        sourceLocation: sourceLocation)
    }
    return seen
  }
}
