import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// The service-account token of an ACK pod (RRSA), read afresh for every `AssumeRoleWithOIDC`:
/// the kubelet rotates it in place.
///
/// Kubernetes projects the token through symbolic links (`token -> ..data/token`), so links
/// are followed; what is finally opened must be a regular file that only its owner (root or
/// origin-guard's user) can write, since whoever can write it chooses the identity we assume.
enum OIDCTokenFile {
  /// A JWT; Alibaba accepts 4 to 20000 characters.
  static let maximumBytes = 20_000

  static func read(_ path: String, role: String) throws(CredentialError) -> String {
    func problem(_ text: String) -> CredentialError {
      .oidcTokenFile(role: role, path: path, problem: text)
    }
    let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
    guard descriptor >= 0 else {
      let reason = String(cString: strerror(errno))
      throw problem(
        errno == ENOENT
          ? "it does not exist; check the pod's projected service-account token volume and ALIBABA_CLOUD_OIDC_TOKEN_FILE"
          : "cannot open it: \(reason)")
    }
    defer { close(descriptor) }
    var status = stat()
    guard fstat(descriptor, &status) == 0 else {
      throw problem("cannot stat it: \(String(cString: strerror(errno)))")
    }
    let kind = FileKind(mode: status.st_mode)
    guard kind == .regularFile else { throw problem("it is a \(kind), not a regular file") }
    if let trouble = FileTrust.ownershipProblem(status) {
      throw problem(
        "it is \(trouble): whoever can write it chooses the role origin-guard assumes. Fix its owner and mode (`chmod go-w`)"
      )
    }
    guard status.st_size <= maximumBytes else {
      throw problem("it holds \(status.st_size) bytes, more than a token (\(maximumBytes))")
    }
    var bytes = [UInt8](repeating: 0, count: maximumBytes + 1)
    var count = 0
    while count < bytes.count {
      let read = bytes.withUnsafeMutableBytes {
        Glibc.read(descriptor, $0.baseAddress! + count, $0.count - count)
      }
      if read < 0 {
        if errno == EINTR || errno == EAGAIN { continue }
        throw problem("cannot read it: \(String(cString: strerror(errno)))")
      }
      if read == 0 { break }
      count += read
    }
    guard count <= maximumBytes else {
      throw problem("it holds more than a token (\(maximumBytes) bytes)")
    }
    guard let text = String(bytes: bytes[..<count], encoding: .utf8) else {
      throw problem("it is not UTF-8 text")
    }
    let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
    guard token.count >= 4 else { throw problem("it is empty") }
    return token
  }
}
