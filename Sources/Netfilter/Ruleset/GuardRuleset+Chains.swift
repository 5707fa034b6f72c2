extension GuardRuleset {
  /// The base chain: one rule per protocol, `tcp dport { 80, 443 } jump guard`, in prerouting
  /// mode followed by `fib daddr type local` (after the port match: it is the dearer test).
  /// One rule per protocol rather than `meta l4proto { tcp, udp } th dport ...` keeps the
  /// default ruleset exactly as an operator would write it.
  var baseChain: Chain {
    let rules = protocols.map { transport in
      var expressions = Match.transportProtocol(transport) + Match.destinationPort(in: ports)
      if hookMode == .prerouting { expressions += Match.localDestination }
      return Rule(expressions + [.verdict(.jump(guardChainName))])
    }
    let hook: Hook = hookMode == .input ? .input : .prerouting
    return Chain(
      name: resolvedBaseChainName, base: BaseChain(hook: hook, priority: resolvedPriority),
      rules: rules)
  }

  /// The guard chain: loopback, optionally established/related, allowed sources, then the
  /// counted drop (with its optional rate-limited log line).
  var guardChain: Chain {
    var rules = [Rule(Match.inputInterface(named: "lo") + [.verdict(.accept)])]
    if acceptEstablishedRelated {
      rules.append(Rule(Match.establishedOrRelated + [.verdict(.accept)]))
    }
    rules.append(Rule(Match.sourceAddress(.ipv4, inSet: ipv4SetName) + [.verdict(.accept)]))
    rules.append(Rule(Match.sourceAddress(.ipv6, inSet: ipv6SetName) + [.verdict(.accept)]))
    if let dropLog {
      rules.append(Rule([.limit(dropLog.limit), .log(prefix: dropLog.prefix)]))
    }
    rules.append(Self.dropRule)
    return Chain(name: guardChainName, rules: rules)
  }

  /// `counter drop`: the rule whose counter origin-guard reports.
  public static let dropRule = Rule([.counter, .verdict(.drop)])
}
