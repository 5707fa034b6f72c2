import Crypto
import Foundation

/// Lower-case hex SHA-256, the form Alibaba's signature and our checksums use.
public enum SHA256Hex {
  public static func digest(_ data: some DataProtocol) -> String {
    SHA256.hash(data: data).hexString
  }
}

extension Sequence where Element == UInt8 {
  var hexString: String {
    map { byte in
      let digits = Array("0123456789abcdef")
      return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }.joined()
  }
}
