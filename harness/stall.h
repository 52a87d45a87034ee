/* SPDX-License-Identifier: MIT */
/*
 * Holding an operation in flight on purpose (docs/harness.md): a
 * userfaultfd-registered buffer
 * whose pages are missing.  A kernel copy into or out of it (an io-wq
 * worker running a regular-file read or write) stalls until the test
 * resolves the fault.
 */
#ifndef RH_STALL_H
#define RH_STALL_H

#include <stdbool.h>
#include <stddef.h>

struct rh_stall {
	int uffd;
	void *area;
	size_t len;
	bool owned;		/* area mapped by rh_stall_create */
	unsigned faults;	/* fault messages read so far */
};

/*
 * Map len bytes (rounded up to pages) of missing memory, registered with
 * userfaultfd.  Returns 0, -EPERM without the privilege (root), or -errno.
 */
int rh_stall_create(struct rh_stall *s, size_t len);

/*
 * Register existing memory instead: page-aligned, len a page multiple, and
 * never touched yet (its pages still missing), e.g. a fresh buffer of the
 * quarantine allocator.  rh_stall_destroy() then leaves it mapped.
 */
int rh_stall_attach(struct rh_stall *s, void *area, size_t len);

/*
 * Wait until someone faults on the area (the kernel is now stalled inside
 * the copy).  Returns 0, or -ETIME after timeout_ms.
 */
int rh_stall_wait_fault(struct rh_stall *s, int timeout_ms);

/* Fill every still-missing page with byte fill, waking the stalled copy. */
int rh_stall_release(struct rh_stall *s, int fill);

/* Close, and unmap what rh_stall_create mapped.  Only once nothing can still touch the area. */
void rh_stall_destroy(struct rh_stall *s);

#endif
