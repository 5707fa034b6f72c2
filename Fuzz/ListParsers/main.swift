import FuzzSupport

FuzzMain.run(
  name: "list-parsers", seeds: ListParsersTarget.seeds, dictionary: ListParsersTarget.dictionary
) { data, count in
  ListParsersTarget.test(UnsafeRawBufferPointer(start: data, count: count))
  return 0
}
