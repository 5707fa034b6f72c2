import AddressSet
import Testing

/// The one rule for how much of an input or a list a message shows.
@Suite("Message limit")
struct MessageLimitTests {
  @Test func shortInputIsQuotedWhole() {
    #expect(MessageLimit.quote("1.2.3.400") == #""1.2.3.400""#)
  }

  @Test func longInputIsCutAndSaysHowMuchWasLeftOut() {
    let quoted = MessageLimit.quote(String(repeating: "9", count: 5_000_000))
    #expect(quoted == "\"" + String(repeating: "9", count: 200) + "\"… (4,999,800 more bytes)")
  }

  /// One character can hold megabytes of combining marks: the cut counts scalars.
  @Test func oneHugeCharacterIsCutToo() {
    let text = "a" + String(repeating: "\u{301}", count: 1_000_000)
    #expect(text.count == 1)
    let quoted = MessageLimit.quote(text)
    #expect(quoted.utf8.count < 1_000)
    #expect(quoted.hasSuffix("(1,999,602 more bytes)"))
  }

  @Test func listsStopAtTwentyAndCountTheRest() {
    let items = (1...65_536).map { "line \($0)" }
    let text = MessageLimit.list(items, noun: "listings")
    #expect(text.hasPrefix("line 1; line 2; "))
    #expect(text.hasSuffix("line 20; and 65,516 more listings"))
    #expect(MessageLimit.list(["a", "b"]) == "a; b")
  }

  @Test func clipKeepsShortTextAndCutsLongText() {
    #expect(MessageLimit.clip("connection refused") == "connection refused")
    #expect(MessageLimit.clip(String(repeating: "x", count: 900)).hasSuffix("x… (100 more bytes)"))
  }

  @Test func groupsThousands() {
    #expect(MessageLimit.grouped(0) == "0")
    #expect(MessageLimit.grouped(999) == "999")
    #expect(MessageLimit.grouped(1_000) == "1,000")
    #expect(MessageLimit.grouped(99_998) == "99,998")
    #expect(MessageLimit.grouped(12_345_678) == "12,345,678")
  }

  /// The parser's error quotes its input through the same rule.
  @Test func aParseErrorOfAHugeLineIsShort() {
    #expect(throws: AddressParseError.self) {
      try PrefixParser.parse("1.2.3." + String(repeating: "4", count: 1_000_000))
    }
    do {
      _ = try PrefixParser.parse("1.2.3." + String(repeating: "4", count: 1_000_000))
    } catch {
      #expect(error.description.utf8.count < 1_000)
      #expect(error.description.contains("more bytes"))
    }
  }
}
