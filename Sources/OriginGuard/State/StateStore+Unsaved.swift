import AddressSources
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A sync that changed the kernel but could not save the state (a full disk) leaves an empty
/// file `unsaved-<sha256 of the applied list>`: it needs no data block, so it can be created
/// when nothing else fits, and it lets `status` tell our own unsaved change from someone
/// else's. The next successful save removes it.
extension StateStore {
  /// Records that the kernel holds the list with `checksum` although the header says
  /// otherwise. Best effort: false when even an empty file cannot be created.
  @discardableResult
  public func markUnsaved(checksum: String) -> Bool {
    removeUnsavedMarkers()
    let digest = checksum.hasPrefix("sha256:") ? String(checksum.dropFirst(7)) : checksum
    let path = directory + "/" + StateFileNames.unsavedPrefix + digest
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
    guard fd >= 0 else { return false }
    close(fd)
    AtomicReplacement.syncDirectory(directory)
    return true
  }

  /// The checksum of the list a sync applied but could not save, when there is one.
  public func unsavedChecksum() -> String? {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    for name in names {
      guard let checksum = StateFileNames.unsavedChecksum(name) else { continue }
      var status = stat()
      guard lstat(directory + "/" + name, &status) == 0, status.st_mode & S_IFMT == S_IFREG,
        FileTrust.ownershipProblem(status) == nil
      else { continue }
      return checksum
    }
    return nil
  }

  func removeUnsavedMarkers() {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    for name in names where StateFileNames.unsavedChecksum(name) != nil {
      unlink(directory + "/" + name)
    }
  }
}
