import AddressSources
import Foundation

/// What is in a state directory, sorted into origin-guard's files (by name, `StateFileNames`)
/// and everything else, for `purge`. Subdirectories are looked into only when they are
/// origin-guard's and real directories (`StateStore.checkDirectory` refuses links).
struct StateDirectoryContents {
  /// Files to remove, the lock excepted.
  var files: [String] = []
  /// `lists/`, `http/`, `bootstrap/`, to remove once empty.
  var directories: [String] = []
  /// Relative names of what is not origin-guard's, sorted.
  var unknown: [String] = []

  init(store: StateStore) throws(StateError) {
    let top = try Self.names(in: store.directory)
    for name in top {
      let path = store.directory + "/" + name
      let kind = FileKind.at(path)
      switch name {
      case StateFileNames.lock: continue
      case StateFileNames.lists, StateFileNames.fetchStore, StateFileNames.bootstrap:
        guard kind == .directory else {
          unknown.append(name)
          continue
        }
        let belongs: (String) -> Bool =
          switch name {
          case StateFileNames.lists:
            {
              StateFileNames.isList($0) || StateFileNames.isListTemporary($0)
            }
          case StateFileNames.fetchStore: FileConditionalFetchStore.isStoreFileName
          default: StateFileNames.isBootstrapFile
          }
        for inner in try Self.names(in: path) {
          let innerPath = path + "/" + inner
          if belongs(inner) && FileKind.at(innerPath) != .directory {
            files.append(innerPath)
          } else {
            unknown.append(name + "/" + inner)
          }
        }
        directories.append(path)
      default:
        if StateFileNames.isTopLevelFile(name) && kind != .directory {
          files.append(path)
        } else {
          unknown.append(name)
        }
      }
    }
    unknown.sort()
  }

  private static func names(in directory: String) throws(StateError) -> [String] {
    do {
      return try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    } catch {
      throw .io(operation: "list \(directory)", errno: errno == 0 ? EIO : errno)
    }
  }
}
