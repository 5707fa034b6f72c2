#if canImport(Glibc)
  import Glibc

  /// The pages of the program's relocation table (`.rela.dyn`), given back after start-up.
  ///
  /// The dynamic loader reads the whole table once, before `main`, and never again. The release
  /// binary cannot use the compact `DT_RELR` form (glibc before 2.36 ignores it,
  /// docs/packaging.md), so the table is 3 MB of 24-byte entries that would otherwise stay
  /// resident for the life of the process and count in its RSS. The pages are clean and
  /// file-backed: were they ever read again, the kernel would read them back from the binary.
  enum RelocationTablePages {
    /// Drops the table's whole pages from this process's resident memory.
    static func release() {
      guard let table = programTable() else { return }
      let page = UInt(sysconf(Int32(_SC_PAGESIZE)))
      let first = (table.start + page - 1) / page * page
      let end = (table.start + table.size) / page * page
      guard end > first, let address = UnsafeMutableRawPointer(bitPattern: first) else { return }
      _ = madvise(address, Int(end - first), MADV_DONTNEED)
    }

    /// Where the program's `DT_RELA` table is mapped, and its size in bytes: from its program
    /// headers, which the kernel names in the auxiliary vector.
    static func programTable() -> (start: UInt, size: UInt)? {
      let vector = auxiliaryVector()
      guard let address = vector[UInt(AT_PHDR)], let count = vector[UInt(AT_PHNUM)],
        let headers = UnsafePointer<Elf64_Phdr>(bitPattern: address)
      else { return nil }
      let programHeaders = UnsafeBufferPointer(start: headers, count: Int(count))
      guard let own = programHeaders.first(where: { $0.p_type == PT_PHDR }),
        let dynamic = programHeaders.first(where: { $0.p_type == PT_DYNAMIC })
      else { return nil }
      let bias = address - UInt(own.p_vaddr)
      var entry = UnsafePointer<Elf64_Dyn>(bitPattern: bias + UInt(dynamic.p_vaddr))
      var start: UInt = 0
      var size: UInt = 0
      while let current = entry, current.pointee.d_tag != DT_NULL {
        switch current.pointee.d_tag {
        case Int64(DT_RELA): start = UInt(current.pointee.d_un.d_ptr)
        case Int64(DT_RELASZ): size = UInt(current.pointee.d_un.d_val)
        default: break
        }
        entry = current + 1
      }
      // glibc rewrites the entry to the mapped address; another loader may leave it as the
      // address in the file.
      if start != 0 && start < bias { start += bias }
      guard start != 0, size != 0 else { return nil }
      // Only from a read-only segment: pages of a writable one may hold changes that
      // MADV_DONTNEED would discard.
      let inFile = start - bias
      let readOnly = programHeaders.contains {
        $0.p_type == PT_LOAD && $0.p_flags & UInt32(PF_W) == 0 && UInt($0.p_vaddr) <= inFile
          && inFile + size <= UInt($0.p_vaddr) + UInt($0.p_memsz)
      }
      return readOnly ? (start, size) : nil
    }

    /// `/proc/self/auxv`: pairs of 64-bit type and value.
    private static func auxiliaryVector() -> [UInt: UInt] {
      let descriptor = open("/proc/self/auxv", O_RDONLY | O_CLOEXEC)
      guard descriptor >= 0 else { return [:] }
      defer { close(descriptor) }
      var pairs = [UInt](repeating: 0, count: 128)
      let bytes = pairs.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
      guard bytes > 0 else { return [:] }
      var vector: [UInt: UInt] = [:]
      for index in stride(from: 0, to: bytes / 16 * 2, by: 2) where pairs[index] != 0 {
        vector[pairs[index]] = pairs[index + 1]
      }
      return vector
    }
  }
#else
  enum RelocationTablePages {
    static func release() {}
  }
#endif
