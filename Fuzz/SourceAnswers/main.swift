import FuzzSupport

FuzzMain.run(
  name: "source-answers", seeds: SourceAnswersTarget.seeds,
  dictionary: SourceAnswersTarget.dictionary
) { data, count in
  SourceAnswersTarget.test(UnsafeRawBufferPointer(start: data, count: count))
  return 0
}
