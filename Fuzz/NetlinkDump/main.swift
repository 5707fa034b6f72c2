import FuzzSupport

FuzzMain.run(
  name: "netlink-dump", seeds: NetlinkDumpTarget.seeds, dictionary: NetlinkDumpTarget.dictionary,
  isolated: true
) { data, count in
  NetlinkDumpTarget.test(UnsafeRawBufferPointer(start: data, count: count))
  return 0
}
