/* SPDX-License-Identifier: MIT */
/*
 * The page the ringcheck launcher shares with every process it checks (a
 * memfd named by $RINGCHECK_SHM): the checked processes add their counts,
 * the launcher reads them when the program is gone, so a program that
 * ends with _exit() or a signal still gets its summary and exit code.
 */
#ifndef RK_SHARED_H
#define RK_SHARED_H

#include <stdint.h>

#define RK_SHARED_MAGIC	0x72636b31u	/* "rck1" */

/*
 * A report on a request of a torn-down ring ("completed: unknown"): the
 * launcher asks the kernel's witness at exit whether the request had
 * completed before the release (report withdrawn) or not (confirmed).
 */
struct rk_orphan {
	int32_t pid;		/* the process */
	int32_t ring_fd;
	uint64_t ring_ns;	/* when ringcheck learnt the ring (mono) */
	uint64_t release_ns;	/* when the release was made (mono) */
	uint64_t ud;
	uint32_t report;	/* its number in the process's reports */
	char what[100];		/* "free() ... IORING_OP_READ" */
};

#define RK_ORPHANS	64

struct rk_shared {
	uint32_t magic;
	uint32_t procs;		/* processes that loaded the library */
	uint32_t witness;	/* the launcher records the kernel's events */
	uint32_t norphans;	/* entries of orphan[] taken */
	uint64_t reports;	/* every report (the exit code's reason) */
	uint64_t rings;		/* rings learnt */
	uint64_t requests;	/* requests read as the kernel took them */
	uint64_t completions;	/* of those, CQEs seen */
	uint64_t releases;	/* free/munmap/close... checked in flight */
	uint64_t unseen_rings;	/* io_uring fds never seen being set up */
	uint64_t unchecked;	/* requests with no CQE to wait for */
	uint64_t cq_lost;	/* CQEs the program reaped before ringcheck */
	struct rk_orphan orphan[RK_ORPHANS];
};

/* Add v to a counter of the shared page (any process, any thread). */
#define rk_shared_add(sh, field, v) \
	__atomic_fetch_add(&(sh)->field, (v), __ATOMIC_RELAXED)

#endif
