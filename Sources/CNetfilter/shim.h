#ifndef ORIGIN_GUARD_CNETFILTER_SHIM_H
#define ORIGIN_GUARD_CNETFILTER_SHIM_H

#include <stdint.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/gen.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

/* setns(2) is declared only under _GNU_SOURCE, which Swift's Glibc module is built without. */
extern int setns(int fd, int nstype);

/* Moves the calling thread into the network namespace open at `fd` (CLONE_NEWNET). */
static inline int og_enter_network_namespace(int fd) { return setns(fd, 0x40000000); }

#endif
