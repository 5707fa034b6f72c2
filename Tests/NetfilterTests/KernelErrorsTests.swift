import AddressSet
import Foundation
import Testing

@testable import Netfilter

@Suite("Errors an operator can act on")
struct ErrorDescriptionTests {
  @Test func everyErrorGivesAdvice() {
    let errors: [NetfilterError] = [
      .permissionDenied(operation: "add table inet origin_guard"),
      .nfTablesUnavailable(detail: "x"), .busy(operation: "delete set"),
      .generationChanged(expected: 4),
      .elementExists(operation: "add", element: "10.0.0.0/24"),
      .elementMissing(operation: "delete", element: nil),
      .objectExists(operation: "add chain"), .objectMissing(operation: "add rule"),
      .messageTooLarge(operation: "send"),
      .outcomeUnknown(detail: "ENOBUFS"), .namespaceUnavailable(path: "/x", errno: 2),
      .kernel(operation: "op", errno: 22),
      .malformedReply("x"),
    ]
    for error in errors { #expect(error.description.count > 20, "\(error)") }
    #expect(NetfilterError.permissionDenied(operation: "x").description.contains("CAP_NET_ADMIN"))
    #expect(NetfilterError.generationChanged(expected: 4).description.contains("Re-read"))
    #expect(
      NetfilterError.elementExists(operation: "add", element: "10.0.0.0/24").description.contains(
        "10.0.0.0/24"))
  }

  /// How kernel error codes become operator errors (the kernel paths for EPERM, EBUSY and a
  /// missing nf_tables cannot be provoked from a root test process).
  @Test func kernelCodesMapToTypedErrors() {
    #expect(KernelErrors.error(errno: EPERM, operation: "op") == .permissionDenied(operation: "op"))
    #expect(KernelErrors.error(errno: EBUSY, operation: "op") == .busy(operation: "op"))
    #expect(KernelErrors.error(errno: 85, operation: "op") == .generationChanged(expected: nil))
    #expect(KernelErrors.error(errno: EEXIST, operation: "op") == .objectExists(operation: "op"))
    #expect(KernelErrors.error(errno: ENOENT, operation: "op") == .objectMissing(operation: "op"))
    #expect(
      KernelErrors.error(errno: EMSGSIZE, operation: "op") == .messageTooLarge(operation: "op"))
    guard case .nfTablesUnavailable = KernelErrors.error(errno: EPROTONOSUPPORT, operation: "op")
    else {
      Issue.record("EPROTONOSUPPORT should mean nf_tables is unavailable")
      return
    }
    #expect(
      KernelErrors.error(errno: EINVAL, operation: "op") == .kernel(operation: "op", errno: EINVAL))
  }

  /// A kernel without nf_tables (module not loaded): nfnetlink refuses the batch at its begin
  /// message with EOPNOTSUPP. The operator is told to load the module, not shown an errno.
  @Test func aBatchRefusedForWantOfNfTablesSaysToLoadTheModule() {
    let refused = KernelErrors.batchError(errno: EOPNOTSUPP)
    guard case .nfTablesUnavailable = refused else {
      Issue.record("EOPNOTSUPP on the batch should mean nf_tables is missing, got \(refused)")
      return
    }
    #expect(refused.description.contains("modprobe nf_tables"), "\(refused)")
    // Other errors on the batch keep their meaning.
    #expect(
      KernelErrors.batchError(errno: EPERM) == .permissionDenied(operation: "nftables batch"))
    #expect(
      KernelErrors.batchError(errno: 85) == .generationChanged(expected: nil))
  }
}
