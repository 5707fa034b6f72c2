import AddressSources

/// `type: alibaba-cdn` and `type: alibaba-esa`. A value that fails is reported and replaced by
/// its default; any problem discards the whole configuration, so that default is never used.
extension ConfigurationReader {
  func readAlibabaCDN(_ keys: inout MappingReader, name: String, policy: EntryPolicy)
    -> SourceConfig?
  {
    let domains = keys.required(
      "domains", hint: "list the accelerated domains, e.g. [www.example.com]"
    )
    .flatMap(readDomains)
    var config = AlibabaCDNSourceConfig(name: name, domains: domains ?? [], policy: policy)
    if let field = keys.optional("endpoint"), let endpoint = field.string() {
      config.endpoint = EndpointCheck.https(endpoint, at: field) ?? config.endpoint
    }
    // The sources module never runs more than 10 calls at once; a larger number would be
    // capped silently, so it is refused here.
    if let concurrency = keys.optional("concurrency")?.integer(in: 1...10) {
      config.concurrency = concurrency
    }
    if let rate = keys.optional("max_calls_per_second")?.number(in: 0.1...40) {
      config.maxCallsPerSecond = rate
    }
    config.credentials = readCredentials(&keys, source: name)
    config.http = readHTTPOptions(&keys)
    config.retry = readRetryPolicy(&keys, defaults: config.retry)
    guard domains != nil else { return nil }
    return .alibabaCDN(config)
  }

  func readAlibabaESA(_ keys: inout MappingReader, name: String, policy: EntryPolicy)
    -> SourceConfig?
  {
    let siteIDs = keys.required(
      "site_ids", hint: "list the ESA site ids (ListSites or the ESA console shows them)"
    ).flatMap(readSiteIDs)
    var config = AlibabaESASourceConfig(name: name, siteIDs: siteIDs ?? [], policy: policy)
    if let region = keys.optional("region").flatMap(readRegion) { config.region = region }
    if let field = keys.optional("endpoint"), let endpoint = field.string() {
      config.endpoint = EndpointCheck.https(endpoint, at: field)
    }
    if let list = keys.optional("list")?.choice(ESAWhitelist.self, what: "an ESA list") {
      config.list = list
    }
    if let field = keys.optional("confirm_after"), let after = field.duration() {
      if config.list == .union {
        config.confirmAfter = after
      } else {
        field.invalid(
          "confirm_after needs list: union; with list: \(config.list.rawValue) the firewall does not hold both lists of an update, so confirming it would refuse ESA nodes"
        )
      }
    }
    if let rate = keys.optional("max_calls_per_second")?.number(in: 0.1...40) {
      config.maxCallsPerSecond = rate
    }
    config.credentials = readCredentials(&keys, source: name)
    config.http = readHTTPOptions(&keys)
    config.retry = readRetryPolicy(&keys, defaults: config.retry)
    guard siteIDs != nil else { return nil }
    return .alibabaESA(config)
  }

  /// Domains as added in the CDN console: host names, possibly wildcard (`*.example.com`),
  /// never URLs.
  private func readDomains(_ field: YAMLField) -> [String]? {
    guard let entries = field.stringList(nonEmpty: true) else { return nil }
    var domains: [String] = []
    for (domain, element) in entries {
      if domain.contains("://") || domain.contains("/") {
        element.invalid(
          "\(String(reflecting: domain)) is a URL; write the domain alone, e.g. www.example.com")
      } else if !domain.allSatisfy({
        $0.isASCII && ($0.isLetter || $0.isNumber || "-.*_".contains($0))
      }) {
        element.invalid("\(String(reflecting: domain)) is not a domain name")
      } else if domains.contains(domain) {
        element.invalid("\(domain) is listed twice")
      } else {
        domains.append(domain)
      }
    }
    return domains
  }

  /// ESA site ids are numbers; a site name here is a common mix-up.
  private func readSiteIDs(_ field: YAMLField) -> [String]? {
    guard let entries = field.stringList(nonEmpty: true) else { return nil }
    var ids: [String] = []
    for (id, element) in entries {
      if !id.allSatisfy({ $0.isASCII && $0.isNumber }) {
        element.invalid(
          "\(String(reflecting: id)) is not a site id; ESA site ids are numbers (ListSites or the ESA console shows them)"
        )
      } else if ids.contains(id) {
        element.invalid("site id \(id) is listed twice")
      } else {
        ids.append(id)
      }
    }
    return ids
  }

  /// Goes into the host name `esa.<region>.aliyuncs.com`.
  private func readRegion(_ field: YAMLField) -> String? {
    guard let region = field.string() else { return nil }
    guard region.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }) else {
      field.invalid(
        "\(String(reflecting: region)) is not a region id such as cn-hangzhou or ap-southeast-1")
      return nil
    }
    return region
  }
}
