import AddressSet
import CNetfilter
import Glibc
import Synchronization

/// The real backend: nf_tables over netlink, through libnftnl and libmnl.
///
/// One socket, used by one call at a time. Needs root or CAP_NET_ADMIN in the namespace.
public final class NetlinkBackend: NetfilterBackend {
  private let connection: Mutex<NetlinkConnection>
  /// Where the socket lives (nil: the namespace the process was in): event subscriptions open
  /// their sockets there too.
  private let namespacePath: String?
  /// The socket's port id, which the kernel names as the committer in its events.
  private let portID: UInt32

  /// Opens a socket in the current network namespace.
  public convenience init() throws(NetfilterError) {
    self.init(socket: try NetlinkSocket(), namespacePath: nil)
  }

  /// Opens a socket in the network namespace at `path` (`/var/run/netns/NAME`,
  /// `/proc/PID/ns/net`). Every later call acts in that namespace.
  public convenience init(networkNamespace path: String) throws(NetfilterError) {
    self.init(socket: try NetworkNamespace.openSocket(inNamespaceAt: path), namespacePath: path)
  }

  /// Opens a socket in the network namespace created with `ip netns add name`.
  public convenience init(networkNamespaceNamed name: String) throws(NetfilterError) {
    try self.init(networkNamespace: "/var/run/netns/\(name)")
  }

  private init(socket: sending NetlinkSocket, namespacePath: String?) {
    portID = socket.portID
    self.namespacePath = namespacePath
    connection = Mutex(NetlinkConnection(socket: socket))
  }

  public func generation() throws(NetfilterError) -> UInt32 {
    try connection.withLock { connection throws(NetfilterError) in try Self.generation(connection) }
  }

  /// Reads between two generation checks, so the state is one the kernel really had; throws
  /// `generationChanged` when anything was committed meanwhile. Reading again is the caller's
  /// choice (`readTableRetrying` in OriginGuard).
  public func readTable(named name: String, withElements: Bool) throws(NetfilterError)
    -> TableState?
  {
    try connection.withLock { connection throws(NetfilterError) in
      let before = try Self.generation(connection)
      let state = try Self.readTable(
        name, withElements: withElements, generation: before, connection)
      guard try Self.generation(connection) == before else {
        throw .generationChanged(expected: nil)
      }
      return state
    }
  }

  public func readElements(table: String, set: String) throws(NetfilterError) -> SetElements {
    try connection.withLock { connection throws(NetfilterError) in
      guard
        let definition = try StructureReader(connection: connection, tableName: table).read()?.set(
          named: set),
        let family = definition.keyType.addressFamily
      else { throw .objectMissing(operation: "list set \(table) \(set)") }
      return try Self.elements(of: set, family: family, table: table, connection)
    }
  }

  @discardableResult
  public func apply(_ transaction: Transaction, expectedGeneration: UInt32?) throws(NetfilterError)
    -> UInt32
  {
    try connection.withLock { connection throws(NetfilterError) in
      guard !transaction.isEmpty else {
        let current = try Self.generation(connection)
        if let expectedGeneration, expectedGeneration != current {
          throw .generationChanged(expected: expectedGeneration)
        }
        return current
      }
      try connection.commit(transaction, expectedGeneration: expectedGeneration)
      // A commit advances the generation by exactly one (skipping 0). Without an expected
      // generation another writer may have committed too, so ask.
      if let expectedGeneration {
        return expectedGeneration == UInt32.max ? 1 : expectedGeneration + 1
      }
      return try Self.generation(connection)
    }
  }

  public func dropCounter(table: String, chain: String) throws(NetfilterError) -> Counter? {
    try connection.withLock { connection throws(NetfilterError) in
      try StructureReader(connection: connection, tableName: table).read()?.chain(named: chain)?
        .rules.last {
          $0.counter != nil
        }?.counter
    }
  }

  private static func generation(_ connection: NetlinkConnection) throws(NetfilterError) -> UInt32 {
    var id: UInt32?
    do throws(NetfilterError) {
      try requestGeneration(connection) { id = $0 }
    } catch .kernel(_, let code) where code == EOPNOTSUPP || code == EINVAL {
      // The first request a process sends: without nf_tables, nfnetlink has no such subsystem.
      throw .nfTablesUnavailable(detail: "get the ruleset generation: \(errnoName(code))")
    }
    guard let id else {
      throw .nfTablesUnavailable(detail: "the kernel did not report a ruleset generation")
    }
    return id
  }

  private static func requestGeneration(
    _ connection: NetlinkConnection, _ found: (UInt32) -> Void
  ) throws(NetfilterError) {
    try connection.request(
      NFT_MSG_GETGEN, dump: false, operation: "get the ruleset generation",
      handle: { reply throws(NetfilterError) in
        let generation = nftnl_gen_alloc()!
        defer { nftnl_gen_free(generation) }
        guard nftnl_gen_nlmsg_parse(reply.header, generation) >= 0 else {
          throw .malformedReply("generation")
        }
        found(nftnl_gen_get_u32(generation, attribute(NFTNL_GEN_ID)))
      })
  }

  private static func readTable(
    _ name: String, withElements: Bool, generation: UInt32, _ connection: NetlinkConnection
  ) throws(NetfilterError) -> TableState? {
    guard let table = try StructureReader(connection: connection, tableName: name).read() else {
      return nil
    }
    var elements: [String: SetElements]?
    if withElements {
      var read: [String: SetElements] = [:]
      for set in table.sets {
        guard let family = set.keyType.addressFamily else { continue }
        read[set.name] = try Self.elements(of: set.name, family: family, table: name, connection)
      }
      elements = read
    }
    return TableState(generation: generation, table: table, elements: elements)
  }

  private static func elements(
    of set: String, family: AddressFamily, table: String, _ connection: NetlinkConnection
  ) throws(NetfilterError) -> SetElements {
    let reader = ElementReader(connection: connection)
    switch family {
    case .ipv4: return .ipv4(try reader.ranges(table: table, set: set, as: IPv4Address.self))
    case .ipv6: return .ipv6(try reader.ranges(table: table, set: set, as: IPv6Address.self))
    }
  }
}

extension NetlinkBackend: RulesetEventSource {
  /// A socket of its own in the backend's namespace, subscribed to `NFNLGRP_NFTABLES`;
  /// commits this backend sends are marked as its own.
  public func subscribe() throws(NetfilterError) -> any RulesetSubscription {
    let socket =
      if let namespacePath {
        try NetworkNamespace.openSocket(inNamespaceAt: namespacePath)
      } else {
        try NetlinkSocket()
      }
    return try NetlinkEventSubscription(socket: socket, ownPortID: portID)
  }
}
