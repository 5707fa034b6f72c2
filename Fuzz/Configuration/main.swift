import FuzzSupport

FuzzMain.run(
  name: "configuration", seeds: ConfigurationTarget.seeds,
  dictionary: ConfigurationTarget.dictionary
) { data, count in
  ConfigurationTarget.test(UnsafeRawBufferPointer(start: data, count: count))
  return 0
}
