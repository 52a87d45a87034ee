/* SPDX-License-Identifier: MIT */
/*
 * What an SQE hands the kernel, read from the SQE itself: every range of
 * memory the kernel may read or write for it (data buffer, iovec array and
 * each iovec's buffer, path strings, statx output, timespec, msghdr,
 * socket address) and every fd it names (fd, directory fds), or the fd it
 * closes.  The ledger, the fd ledger, the witness and ringcheck all take
 * their view of a request from here, not from the program's records.
 *
 * One decoder, two views: rh_sqe_walk() calls back for each range and fd
 * (as many as the SQE has: ringcheck), rh_sqe_refs() keeps the first few
 * in a fixed-size record (the harness's ledger and user-side log).
 */
#ifndef RH_SQE_REFS_H
#define RH_SQE_REFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <liburing.h>

enum rh_mem_kind {
	RH_MEM_DATA,		/* a read's or a write's buffer */
	RH_MEM_PATH,		/* a path string (openat, statx, link...) */
	RH_MEM_PATH2,		/* the second path (linkat, renameat) */
	RH_MEM_STATX,		/* statx output */
	RH_MEM_TIMESPEC,	/* a timeout's timespec */
	RH_MEM_IOVEC,		/* an iovec array (readv, writev, msghdr's) */
	RH_MEM_MSGHDR,		/* sendmsg's / recvmsg's struct msghdr */
	RH_MEM_SOCKADDR,	/* a socket address (accept, connect, msg) */
	RH_MEM_OPEN_HOW,	/* openat2's struct open_how */
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

/*
 * The callbacks of rh_sqe_walk.  range: at_run is true when the kernel
 * may touch the memory until the request's CQE (a buffer it reads or
 * fills, statx output, accept's address), false when it reads it only
 * while taking the SQE (paths, timespecs, iovec arrays: copied at prep on
 * kernels with IORING_FEAT_SUBMIT_STABLE).  fd: a fd number the request
 * names (not for IOSQE_FIXED_FILE, where it is a table index); closes:
 * IORING_OP_CLOSE's fd.  Any callback may be NULL.
 */
struct rh_sqe_walker {
	void (*range)(void *arg, const void *addr, size_t len,
		      enum rh_mem_kind kind, bool at_run);
	void (*fd)(void *arg, int fd);
	void (*closes)(void *arg, int fd);
};

/*
 * Walk what sqe refers to, as Linux 6.18 reads each opcode (opcodes it
 * does not know: nothing).  Reads the program's memory the SQE points at
 * (path strings, iovec arrays, msghdrs): the caller trusts those pointers
 * as the kernel would have to.
 */
void rh_sqe_walk(const struct io_uring_sqe *sqe, const struct rh_sqe_walker *w,
		 void *arg);

/*
 * Fill refs from sqe: the first RH_SQE_MAX_RANGES ranges and
 * RH_SQE_MAX_FDS fds (the engine's opcodes fit); a request on a
 * registered file (IOSQE_FIXED_FILE): nothing.
 */
void rh_sqe_refs(const struct io_uring_sqe *sqe, struct rh_sqe_refs *refs);

const char *rh_mem_kind_name(enum rh_mem_kind k);

#endif
