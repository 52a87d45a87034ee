/* SPDX-License-Identifier: MIT */
/*
 * What an SQE hands the kernel, read from the SQE itself: every range of
 * memory the kernel may read or write for it (data buffer, path strings,
 * statx output, timespec) and every fd it names (fd, directory fds), or
 * the fd it closes.  The ledger, the fd ledger and the witness all take
 * their view of a request from here, not from the engine's records.
 */
#ifndef RH_SQE_REFS_H
#define RH_SQE_REFS_H

#include <stddef.h>
#include <stdint.h>
#include <liburing.h>

enum rh_mem_kind {
	RH_MEM_DATA,		/* a read's or a write's buffer */
	RH_MEM_PATH,		/* a path string (openat, statx, link...) */
	RH_MEM_PATH2,		/* the second path (linkat, renameat) */
	RH_MEM_STATX,		/* statx output */
	RH_MEM_TIMESPEC,	/* a timeout's timespec */
	RH_MEM__COUNT,
};

#define RH_SQE_MAX_RANGES	3
#define RH_SQE_MAX_FDS		2

struct rh_sqe_refs {
	unsigned nranges;
	struct {
		const void *addr;
		size_t len;
		enum rh_mem_kind kind;
	} range[RH_SQE_MAX_RANGES];
	unsigned nfds;
	int fd[RH_SQE_MAX_FDS];	/* named: resolved when the request runs */
	int closes;		/* IORING_OP_CLOSE: the fd it closes; else -1 */
};

/* Fill refs from sqe (opcodes the engine writes; others: nothing). */
void rh_sqe_refs(const struct io_uring_sqe *sqe, struct rh_sqe_refs *refs);

const char *rh_mem_kind_name(enum rh_mem_kind k);

#endif
