/// Turns a configuration into a runnable source.
public func makeSource(_ config: SourceConfig, context: SourceContext) -> any AddressSource {
  switch config {
  case .static(let config): StaticSource(config: config, context: context)
  case .file(let config): FileSource(config: config, context: context)
  case .url(let config): URLSource(config: config, context: context)
  case .alibabaCDN(let config): AlibabaCDNSource(config: config, context: context)
  case .alibabaESA(let config): AlibabaESASource(config: config, context: context)
  }
}
