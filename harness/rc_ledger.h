/* SPDX-License-Identifier: MIT */
/*
 * The buffer-lifetime ledger: per buffer a state FREE / APP / KERNEL,
 * per operation the buffer and generation it was submitted with, changed
 * only by the engine's trace events.  Each event that breaks the protocol
 * is returned as a violation kind; the ledger itself never trusts the
 * engine's bookkeeping (it keeps its own).
 */
#ifndef RC_LEDGER_H
#define RC_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rc.h"

enum rc_buf_state {
	RC_BUF_FREE,
	RC_BUF_APP,
	RC_BUF_KERNEL,		/* lent to an op, or (op NULL) provided to
				 * the kernel's buffer ring */
};

enum rc_violation_kind {
	RC_VIOL_NONE,
	RC_VIOL_FREE_WHILE_KERNEL,	/* buffer given back before its CQE */
	RC_VIOL_DOUBLE_FREE,		/* buffer given back twice */
	RC_VIOL_SUBMIT_FREED,		/* SQE built on a freed buffer */
	RC_VIOL_SUBMIT_KERNEL,		/* buffer lent to the kernel twice */
	RC_VIOL_REUSE_WHILE_KERNEL,	/* allocator handed out a lent buffer */
	RC_VIOL_CQE_NOT_IN_FLIGHT,	/* CQE acted on for an op not in flight */
	RC_VIOL_CQE_WRONG_LIFE,		/* CQE of another generation accepted */
	RC_VIOL_RELEASE_IN_FLIGHT,	/* record recycled before its CQE */
	RC_VIOL_OWNED_AT_EXIT,		/* buffer still lent to the kernel */
	RC_VIOL_SQE_BAD_ADDRESS,	/* SQE points outside its op's memory */
	RC_VIOL_KERNEL_FAULT,		/* a CQE said -EFAULT: kernel hit a guard */
	RC_VIOL_LATE_KERNEL_ACCESS,	/* op completed into a quarantined buffer */
	RC_VIOL_POISON_CHANGED,		/* a freed buffer was written */
	RC_VIOL_PROGRAM_TOUCH,		/* the program touched a freed buffer */
	RC_VIOL_CHECKSUM,		/* destination differs from the source */
	RC_VIOL_FD_LEAK,		/* more fds open at the end than at start */
	RC_VIOL_PROVIDE_KERNEL,		/* buffer given to the buffer ring while
					 * the kernel owns it (ring or an op) */
	RC_VIOL_SELECT_NOT_PROVIDED,	/* a CQE names a ring buffer that was
					 * not in the ring */
	RC_VIOL_RING_BUF_LOST,		/* ring buffers never given back */
	RC_VIOL_RECLAIM_IN_FLIGHT,	/* buffer ring taken back while reads
					 * that pick from it are in flight */
	RC_VIOL__COUNT,
};

const char *rc_violation_name(enum rc_violation_kind k);

struct rc_ledger_buf {
	const void *addr;
	size_t size;
	uint8_t state;			/* enum rc_buf_state */
	bool lent;			/* lent to the kernel since its get */
	const struct rc_op *op;		/* the op that lent it (KERNEL) */
};

struct rc_ledger_op {
	const struct rc_op *op;
	const void *buf;		/* buffer it was submitted with */
	size_t buf_size;
	uint64_t user_data;		/* what its SQE carries */
	bool in_flight;
	const void *select_ring;	/* a buffer-select read in flight on
					 * this ring (the kernel may still pick
					 * one of its provided buffers) */
};

#define RC_LEDGER_RINGS 64

struct rc_ledger_ring {
	const void *ring;
	unsigned selects_in_flight;
};

struct rc_ledger {
	struct rc_ledger_buf *bufs;	/* open addressing on addr */
	size_t bufs_cap, bufs_count;
	struct rc_ledger_op *ops;	/* open addressing on op */
	size_t ops_cap, ops_count;
	/* buffer-select reads in flight, per ring */
	struct rc_ledger_ring rings[RC_LEDGER_RINGS];
	/* the proof summary's counters */
	uint64_t buffers_seen, submits, cqes, frees, frees_after_cqe;
	uint64_t frees_never_lent;	/* got and freed without an SQE */
};

void rc_ledger_init(struct rc_ledger *l);
void rc_ledger_free(struct rc_ledger *l);

/*
 * Apply one trace event.  Returns RC_VIOL_NONE or what it broke.  Events
 * the ledger does not track return RC_VIOL_NONE.
 */
enum rc_violation_kind rc_ledger_event(struct rc_ledger *l,
				       enum rc_trace_event ev,
				       const struct rc_op *op, const void *buf,
				       size_t len, int64_t res);

/* The state of the buffer that contains addr (FREE if unknown). */
enum rc_buf_state rc_ledger_state(const struct rc_ledger *l, const void *addr);
const struct rc_ledger_buf *rc_ledger_find_buf(const struct rc_ledger *l,
					       const void *addr);

const struct rc_ledger_op *rc_ledger_find_op(const struct rc_ledger *l,
					     const struct rc_op *op);

/* Buffers still lent to the kernel (at exit: each is a violation). */
size_t rc_ledger_kernel_owned(const struct rc_ledger *l);

#endif
