import AddressSet
import CNetfilter
import Glibc

/// Maps kernel error codes to `NetfilterError`, naming the operation and, for elements, the
/// element the kernel pointed at.
enum KernelErrors {
  static let generationMismatch: Int32 = 85  // ERESTART, not exported by Glibc

  /// The error of a failed batch: a generation mismatch if the kernel reported one (it rejects
  /// the batch before running any message), else the first failed message.
  static func error(for failures: [ErrorReply], in batch: Batch) -> NetfilterError {
    if failures.contains(where: { $0.errno == generationMismatch }) {
      return .generationChanged(expected: batch.expectedGeneration)
    }
    let first = failures.min {
      ($0.failedSequence &- batch.firstSequence) < ($1.failedSequence &- batch.firstSequence)
    }!
    guard let message = batch.message(sequence: first.failedSequence) else {
      return error(errno: first.errno, operation: "nftables batch")
    }
    switch message.purpose {
    case .begin, .end:
      return batchError(errno: first.errno)
    case .structure(let change):
      return error(errno: first.errno, operation: change.description)
    case .anonymousSet(let change):
      return error(errno: first.errno, operation: "create the anonymous set of: \(change)")
    case .elements(let change):
      let element = first.attributeOffset.flatMap {
        FailedElement.describe(at: $0, in: batch.buffer.message(at: message.offset), change: change)
      }
      switch first.errno {
      case EEXIST: return .elementExists(operation: change.description, element: element)
      case ENOENT where change.kind != .flush && element != nil:
        return .elementMissing(operation: change.description, element: element)
      case ENOENT: return .objectMissing(operation: change.description)
      default: return error(errno: first.errno, operation: change.description)
      }
    }
  }

  /// An error the kernel reported on the batch's begin or end message. Without nf_tables,
  /// nfnetlink refuses a batch for the subsystem it does not have with EOPNOTSUPP (a plain
  /// request gets EINVAL, see NetlinkBackend.generation); checked with an empty batch for a
  /// subsystem no kernel registers.
  static func batchError(errno code: Int32) -> NetfilterError {
    code == EOPNOTSUPP
      ? .nfTablesUnavailable(detail: "the kernel has no nf_tables subsystem: \(errnoName(code))")
      : error(errno: code, operation: "nftables batch")
  }

  static func error(errno code: Int32, operation: String) -> NetfilterError {
    switch code {
    case generationMismatch: .generationChanged(expected: nil)
    case EPERM, EACCES: .permissionDenied(operation: operation)
    case EBUSY: .busy(operation: operation)
    case EEXIST: .objectExists(operation: operation)
    case ENOENT: .objectMissing(operation: operation)
    case EMSGSIZE, ENOBUFS: .messageTooLarge(operation: operation)
    case EPROTONOSUPPORT, EAFNOSUPPORT:
      .nfTablesUnavailable(detail: "\(operation): \(errnoName(code))")
    default: .kernel(operation: operation, errno: code)
    }
  }
}

/// Finds the element a kernel error points at in the message that was sent, and names the
/// range it belongs to.
enum FailedElement {
  static func describe(
    at offset: Int, in message: UnsafeRawBufferPointer, change: Transaction.ElementChange
  )
    -> String?
  {
    guard
      let list = Attributes(netfilterMessage: message).first(
        type: UInt16(NFTA_SET_ELEM_LIST_ELEMENTS.rawValue)),
      let element = list.nested.first(where: {
        $0.offset <= offset && offset < $0.offset + $0.length
      }),
      let decoded = ElementDecoder.decode(element)
    else { return nil }
    let key = decoded.key
    switch change.kind {
    case .add(.ipv4(let ranges)), .remove(.ipv4(let ranges)):
      guard key.count == 4 else { return nil }
      return name(IPv4Address(bits: UInt32(bigEndianBytes: key)), isEnd: decoded.isEnd, in: ranges)
    case .add(.ipv6(let ranges)), .remove(.ipv6(let ranges)):
      guard key.count == 16 else { return nil }
      return name(IPv6Address(bits: UInt128(bigEndianBytes: key)), isEnd: decoded.isEnd, in: ranges)
    case .flush:
      return nil
    }
  }

  private static func name<A: IPAddress>(_ key: A, isEnd: Bool, in ranges: [AddressRange<A>])
    -> String
  {
    let range = ranges.first { isEnd ? $0.end == key : $0.first == key }
    let element = "\(isEnd ? "end" : "start") element \(key)"
    return range.map { "\($0.elementDescription) (\(element))" } ?? element
  }
}

extension FixedWidthInteger {
  init(bigEndianBytes bytes: some Collection<UInt8>) {
    self = bytes.reduce(0) { $0 << 8 | Self($1) }
  }
}
