import CNetfilter

/// Writes table, set, chain and rule messages, built with libnftnl objects (there are few of
/// them, unlike elements).
struct ObjectMessages {
  let buffer: MessageBuffer

  /// Builds one message: header by libnftnl, payload by `payload`. Returns its offset.
  func write(
    _ command: nf_tables_msg_types, flags: UInt16, sequence: UInt32,
    _ payload: (UnsafeMutablePointer<nlmsghdr>) -> Void
  ) -> Int {
    let start = buffer.beginMessage(reserving: NetlinkMessage.objectReserve)
    let header = nftnl_nlmsg_build_hdr(
      start.assumingMemoryBound(to: CChar.self), NetlinkMessage.type(command),
      NetlinkMessage.family,
      flags, sequence)!
    payload(header)
    return buffer.endMessage(header)
  }

  func table(_ command: nf_tables_msg_types, name: String, flags: UInt16, sequence: UInt32) -> Int {
    write(command, flags: flags, sequence: sequence) { header in
      let table = nftnl_table_alloc()!
      defer { nftnl_table_free(table) }
      nftnl_table_set_str(table, attribute(NFTNL_TABLE_NAME), name)
      if command == NFT_MSG_NEWTABLE { nftnl_table_set_u32(table, attribute(NFTNL_TABLE_FLAGS), 0) }
      nftnl_table_nlmsg_build_payload(header, table)
    }
  }

  /// A named or anonymous set. `size` is the element count of an anonymous constant set.
  func newSet(
    _ definition: SetDefinition, table: String, id: UInt32, size: UInt32?, sequence: UInt32
  ) -> Int {
    write(NFT_MSG_NEWSET, flags: NetlinkMessage.create, sequence: sequence) { header in
      let set = nftnl_set_alloc()!
      defer { nftnl_set_free(set) }
      nftnl_set_set_str(set, attribute(NFTNL_SET_TABLE), table)
      nftnl_set_set_str(set, attribute(NFTNL_SET_NAME), definition.name)
      nftnl_set_set_u32(set, attribute(NFTNL_SET_FLAGS), definition.flags.rawValue)
      nftnl_set_set_u32(set, attribute(NFTNL_SET_KEY_TYPE), definition.keyType.type)
      nftnl_set_set_u32(set, attribute(NFTNL_SET_KEY_LEN), definition.keyType.length)
      nftnl_set_set_u32(set, attribute(NFTNL_SET_ID), id)
      if let size { nftnl_set_set_u32(set, attribute(NFTNL_SET_DESC_SIZE), size) }
      // Tells `nft` the keys are big-endian, so it prints addresses and ports, not integers.
      let userdata = nftnl_udata_buf_alloc(64)!
      defer { nftnl_udata_buf_free(userdata) }
      _ = nftnl_udata_put_u32(userdata, UInt8(NFTNL_UDATA_SET_KEYBYTEORDER.rawValue), 2)
      _ = nftnl_set_set_data(
        set, attribute(NFTNL_SET_USERDATA), nftnl_udata_buf_data(userdata),
        nftnl_udata_buf_len(userdata))
      nftnl_set_nlmsg_build_payload(header, set)
    }
  }

  func newChain(name: String, base: BaseChain?, table: String, sequence: UInt32) -> Int {
    write(NFT_MSG_NEWCHAIN, flags: NetlinkMessage.create, sequence: sequence) { header in
      let chain = nftnl_chain_alloc()!
      defer { nftnl_chain_free(chain) }
      nftnl_chain_set_str(chain, attribute(NFTNL_CHAIN_TABLE), table)
      nftnl_chain_set_str(chain, attribute(NFTNL_CHAIN_NAME), name)
      if let base {
        nftnl_chain_set_str(chain, attribute(NFTNL_CHAIN_TYPE), base.type)
        nftnl_chain_set_u32(chain, attribute(NFTNL_CHAIN_HOOKNUM), base.hook.rawValue)
        nftnl_chain_set_s32(chain, attribute(NFTNL_CHAIN_PRIO), base.priority)
        nftnl_chain_set_u32(chain, attribute(NFTNL_CHAIN_POLICY), base.policy.rawValue)
      }
      nftnl_chain_nlmsg_build_payload(header, chain)
    }
  }

  func deleteChain(name: String, table: String, sequence: UInt32) -> Int {
    write(NFT_MSG_DELCHAIN, flags: 0, sequence: sequence) { header in
      let chain = nftnl_chain_alloc()!
      defer { nftnl_chain_free(chain) }
      nftnl_chain_set_str(chain, attribute(NFTNL_CHAIN_TABLE), table)
      nftnl_chain_set_str(chain, attribute(NFTNL_CHAIN_NAME), name)
      nftnl_chain_nlmsg_build_payload(header, chain)
    }
  }

  /// NEWRULE appending the rule, or DELRULE without a handle (`expressions` nil): flush.
  func rule(
    _ rule: Rule?, chain: String, table: String, anonymousSetID: [Int: UInt32], sequence: UInt32
  ) -> Int {
    let command = rule == nil ? NFT_MSG_DELRULE : NFT_MSG_NEWRULE
    return write(command, flags: rule == nil ? 0 : NetlinkMessage.append, sequence: sequence) {
      header in
      let made = nftnl_rule_alloc()!
      defer { nftnl_rule_free(made) }
      nftnl_rule_set_str(made, attribute(NFTNL_RULE_TABLE), table)
      nftnl_rule_set_str(made, attribute(NFTNL_RULE_CHAIN), chain)
      if let rule {
        ExpressionEncoder.add(rule.expressions, to: made, anonymousSetID: anonymousSetID)
      }
      nftnl_rule_nlmsg_build_payload(header, made)
    }
  }
}
