/// Runs `operation` for every item, at most `limit` at once, and returns the outputs in the
/// items' order. On the first failure the other calls are cancelled and that failure thrown:
/// a source with one failed part has failed as a whole.
func mapConcurrently<Item: Sendable, Output: Sendable>(
  _ items: [Item], limit: Int,
  _ operation: @escaping @Sendable (Item) async throws(SourceError) -> Output
) async throws(SourceError) -> [Output] {
  let results = await withTaskGroup(of: (Int, Result<Output, SourceError>).self) { group in
    var results = [Result<Output, SourceError>?](repeating: nil, count: items.count)
    var next = 0
    func start() {
      let index = next
      let item = items[index]
      next += 1
      group.addTask {
        do throws(SourceError) {
          return (index, .success(try await operation(item)))
        } catch {
          return (index, .failure(error))
        }
      }
    }
    while next < min(max(limit, 1), items.count) { start() }
    while let (index, result) = await group.next() {
      results[index] = result
      if case .failure = result {
        group.cancelAll()
        return [result]
      }
      if next < items.count { start() }
    }
    return results.map { $0! }
  }
  return try results.map { result throws(SourceError) in try result.get() }
}
