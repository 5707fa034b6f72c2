import CNetfilter

/// Reads one table's structure (sets, chains, rules) with dump requests, decoded through
/// libnftnl objects: there are only a handful.
struct StructureReader {
  let connection: NetlinkConnection
  let tableName: String

  /// The table, or nil when it does not exist.
  func read() throws(NetfilterError) -> Table? {
    guard let flags = try tableFlags() else { return nil }
    let allSets = try sets()
    var anonymous: [String: SetReference] = [:]
    for set in allSets where set.flags.contains(.anonymous) {
      let keys = try ElementReader(connection: connection).keys(table: tableName, set: set.name)
      anonymous[set.name] = .constant(keyType: set.keyType, keys: keys)
    }
    var chains = try chains()
    let rules = try rules(decoder: ExpressionDecoder(anonymousSets: anonymous))
    for index in chains.indices { chains[index].rules = rules[chains[index].name] ?? [] }
    return Table(
      name: tableName, flags: flags, sets: allSets.filter { !$0.flags.contains(.anonymous) },
      chains: chains)
  }

  private func tableFlags() throws(NetfilterError) -> UInt32? {
    var flags: UInt32 = 0
    let exists = try connection.request(
      NFT_MSG_GETTABLE, dump: false, operation: "list table inet \(tableName)",
      build: { header in
        let table = nftnl_table_alloc()!
        defer { nftnl_table_free(table) }
        nftnl_table_set_str(table, attribute(NFTNL_TABLE_NAME), tableName)
        nftnl_table_nlmsg_build_payload(header, table)
      },
      handle: { reply throws(NetfilterError) in
        let table = nftnl_table_alloc()!
        defer { nftnl_table_free(table) }
        guard nftnl_table_nlmsg_parse(reply.header, table) >= 0 else {
          throw .malformedReply("table")
        }
        flags = nftnl_table_get_u32(table, attribute(NFTNL_TABLE_FLAGS))
      })
    return exists ? flags : nil
  }

  private func sets() throws(NetfilterError) -> [SetDefinition] {
    var result: [SetDefinition] = []
    try connection.request(
      NFT_MSG_GETSET, dump: true, operation: "list sets of table inet \(tableName)",
      build: { header in
        let set = nftnl_set_alloc()!
        defer { nftnl_set_free(set) }
        nftnl_set_set_str(set, attribute(NFTNL_SET_TABLE), tableName)
        nftnl_set_nlmsg_build_payload(header, set)
      },
      handle: { reply throws(NetfilterError) in
        let set = nftnl_set_alloc()!
        defer { nftnl_set_free(set) }
        guard nftnl_set_nlmsg_parse(reply.header, set) >= 0 else { throw .malformedReply("set") }
        guard string(nftnl_set_get_str(set, attribute(NFTNL_SET_TABLE))) == tableName else {
          return
        }
        result.append(
          SetDefinition(
            name: string(nftnl_set_get_str(set, attribute(NFTNL_SET_NAME))),
            keyType: SetKeyType(
              type: nftnl_set_get_u32(set, attribute(NFTNL_SET_KEY_TYPE)),
              length: nftnl_set_get_u32(set, attribute(NFTNL_SET_KEY_LEN))),
            flags: SetFlags(rawValue: nftnl_set_get_u32(set, attribute(NFTNL_SET_FLAGS)))))
      })
    return result
  }

  private func chains() throws(NetfilterError) -> [Chain] {
    var result: [Chain] = []
    try connection.request(
      NFT_MSG_GETCHAIN, dump: true, operation: "list chains of table inet \(tableName)",
      build: { header in
        let chain = nftnl_chain_alloc()!
        defer { nftnl_chain_free(chain) }
        nftnl_chain_set_str(chain, attribute(NFTNL_CHAIN_TABLE), tableName)
        nftnl_chain_nlmsg_build_payload(header, chain)
      },
      handle: { reply throws(NetfilterError) in
        let chain = nftnl_chain_alloc()!
        defer { nftnl_chain_free(chain) }
        guard nftnl_chain_nlmsg_parse(reply.header, chain) >= 0 else {
          throw .malformedReply("chain")
        }
        guard string(nftnl_chain_get_str(chain, attribute(NFTNL_CHAIN_TABLE))) == tableName else {
          return
        }
        var base: BaseChain?
        if nftnl_chain_is_set(chain, attribute(NFTNL_CHAIN_HOOKNUM)) {
          base = BaseChain(
            type: string(nftnl_chain_get_str(chain, attribute(NFTNL_CHAIN_TYPE))),
            hook: Hook(rawValue: nftnl_chain_get_u32(chain, attribute(NFTNL_CHAIN_HOOKNUM))),
            priority: nftnl_chain_get_s32(chain, attribute(NFTNL_CHAIN_PRIO)),
            policy: Policy(rawValue: nftnl_chain_get_u32(chain, attribute(NFTNL_CHAIN_POLICY))))
        }
        result.append(
          Chain(name: string(nftnl_chain_get_str(chain, attribute(NFTNL_CHAIN_NAME))), base: base))
      })
    return result
  }

  /// Rules by chain name, in chain order.
  private func rules(decoder: ExpressionDecoder) throws(NetfilterError) -> [String: [Rule]] {
    var result: [String: [Rule]] = [:]
    try connection.request(
      NFT_MSG_GETRULE, dump: true, operation: "list rules of table inet \(tableName)",
      build: { header in
        let rule = nftnl_rule_alloc()!
        defer { nftnl_rule_free(rule) }
        nftnl_rule_set_str(rule, attribute(NFTNL_RULE_TABLE), tableName)
        nftnl_rule_nlmsg_build_payload(header, rule)
      },
      handle: { reply throws(NetfilterError) in
        let rule = nftnl_rule_alloc()!
        defer { nftnl_rule_free(rule) }
        guard nftnl_rule_nlmsg_parse(reply.header, rule) >= 0 else { throw .malformedReply("rule") }
        guard string(nftnl_rule_get_str(rule, attribute(NFTNL_RULE_TABLE))) == tableName else {
          return
        }
        let decoded = decoder.decode(rule: rule)
        result[string(nftnl_rule_get_str(rule, attribute(NFTNL_RULE_CHAIN))), default: []].append(
          Rule(decoded.expressions, counter: decoded.counter))
      })
    return result
  }
}

private func string(_ pointer: UnsafePointer<CChar>?) -> String {
  pointer.map { String(cString: $0) } ?? ""
}
