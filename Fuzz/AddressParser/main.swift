import FuzzSupport

FuzzMain.run(
  name: "address-parser", seeds: AddressParserTarget.seeds,
  dictionary: AddressParserTarget.dictionary
) { data, count in
  AddressParserTarget.test(UnsafeRawBufferPointer(start: data, count: count))
  return 0
}
