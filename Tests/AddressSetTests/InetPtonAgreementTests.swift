import AddressSet
import Foundation
import PropertyBased
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// A second opinion: for near-valid random text, our parser and the C library's `inet_pton`
/// accept and reject the same addresses and agree on the value.
@Suite("Parser agrees with inet_pton")
struct InetPtonAgreementTests {
  static let tokens = [
    "0", "1", "9", "00", "01", "10", "255", "256", "1000", "ffff", "FfFf", "abcd", "12345", "g",
    ":", ":", "::", ".", ".", "%", " ",
  ]

  static func inetPton(_ text: String) -> AnyIPAddress? {
    var v4 = in_addr()
    if inet_pton(AF_INET, text, &v4) == 1 {
      return .v4(IPv4Address(bits: UInt32(bigEndian: v4.s_addr)))
    }
    var v6 = in6_addr()
    if inet_pton(AF_INET6, text, &v6) == 1 {
      let bytes = withUnsafeBytes(of: &v6) { Array($0) }
      return .v6(IPv6Address(bits: bytes.reduce(UInt128(0)) { $0 << 8 | UInt128($1) }))
    }
    return nil
  }

  @Test func randomNearAddressesAgree() async {
    let text = Gen.element(of: Self.tokens).map { $0 ?? "" }.array(of: 1...12).map { $0.joined() }
    await propertyCheck(count: 20_000, input: text) { text in
      let ours = try? PrefixParser.parseAddress(text, mapIPv4: false)
      // We trim surrounding white space on purpose; inet_pton does not.
      let trimmed = text.trimmingCharacters(in: .whitespaces)
      #expect(ours == Self.inetPton(trimmed), "\(String(reflecting: text))")
    }
  }

  @Test func randomValidAddressesRoundTripThroughDescription() async {
    await propertyCheck(count: 5_000, input: Gen.uint128(), Gen.uint32()) { v6bits, v4bits in
      let v6 = IPv6Address(bits: v6bits)
      #expect(Self.inetPton(v6.description) == .v6(v6))
      #expect(IPv6Address(v6.description) == v6)
      let v4 = IPv4Address(bits: v4bits)
      #expect(Self.inetPton(v4.description) == .v4(v4))
      #expect(IPv4Address(v4.description) == v4)
    }
  }
}
