import AddressSources
import Testing

@Suite struct JSONSelectorTests {
  @Test(arguments: [
    "addresses", "prefixes[].ip_prefix", "prefixes[service=CLOUDFRONT_ORIGIN_FACING].ip_prefix",
    "[]", "result.ipv4_cidrs", "",
  ])
  func validSelectors(_ text: String) throws {
    #expect(try JSONSelector(text).description == text)
  }

  @Test(arguments: ["a..b", ".a", "a.", "a[", "a[x]b", "a[=v]", "a[f=]", "a.[]", "a]"])
  func invalidSelectors(_ text: String) {
    #expect(throws: JSONSelector.SyntaxError.self) { try JSONSelector(text) }
  }
}
