import CNetfilter
import Glibc

/// Opens a netlink socket inside another network namespace.
///
/// A socket belongs to the namespace it was created in. The socket is created on a thread of
/// its own that first joins the namespace (`setns`); that thread then ends, so no other code
/// ever runs in the wrong namespace.
enum NetworkNamespace {
  static func openSocket(inNamespaceAt path: String) throws(NetfilterError) -> NetlinkSocket {
    let namespace = open(path, O_RDONLY | O_CLOEXEC)
    guard namespace >= 0 else { throw .namespaceUnavailable(path: path, errno: errno) }
    defer { close(namespace) }

    let job = Job(namespace: namespace)
    let context = Unmanaged.passRetained(job).toOpaque()
    var thread = pthread_t()
    let created = pthread_create(
      &thread, nil,
      { context in
        let job = Unmanaged<Job>.fromOpaque(context!).takeRetainedValue()
        job.run()
        return nil
      }, context)
    guard created == 0 else {
      Unmanaged<Job>.fromOpaque(context).release()
      throw .kernel(operation: "start a thread to enter \(path)", errno: created)
    }
    pthread_join(thread, nil)
    switch job.result {
    case .success(let socket): return socket
    case .failure(.namespaceUnavailable(_, let code)):
      throw .namespaceUnavailable(path: path, errno: code)
    case .failure(let error): throw error
    case nil: throw .namespaceUnavailable(path: path, errno: EINVAL)
    }
  }

  /// Work handed to the thread; `result` is read only after `pthread_join`.
  private final class Job: @unchecked Sendable {
    let namespace: Int32
    var result: Result<NetlinkSocket, NetfilterError>?

    init(namespace: Int32) { self.namespace = namespace }

    func run() {
      guard og_enter_network_namespace(namespace) == 0 else {
        result = .failure(.namespaceUnavailable(path: "", errno: errno))
        return
      }
      do throws(NetfilterError) {
        result = .success(try NetlinkSocket())
      } catch {
        result = .failure(error)
      }
    }
  }
}
