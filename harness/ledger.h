/* SPDX-License-Identifier: MIT */
/*
 * The buffer-lifetime ledger: per buffer a state FREE / APP / KERNEL,
 * per operation the buffer and generation it was submitted with, changed
 * only by the engine's trace events.  Each event that breaks the protocol
 * is returned as a violation kind; the ledger itself never trusts the
 * engine's bookkeeping (it keeps its own).
 */
#ifndef RH_LEDGER_H
#define RH_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ringcp/hmap.h"
#include "ringcp/ring.h"

enum rh_buf_state {
	RH_BUF_FREE,
	RH_BUF_APP,
	RH_BUF_KERNEL,		/* lent to an op, or (op NULL) provided to
				 * the kernel's buffer ring */
};

enum rh_violation_kind {
	RH_VIOL_NONE,
	RH_VIOL_FREE_WHILE_KERNEL,	/* buffer given back before its CQE */
	RH_VIOL_DOUBLE_FREE,		/* buffer given back twice */
	RH_VIOL_SUBMIT_FREED,		/* SQE built on a freed buffer */
	RH_VIOL_SUBMIT_KERNEL,		/* buffer lent to the kernel twice */
	RH_VIOL_REUSE_WHILE_KERNEL,	/* allocator handed out a lent buffer */
	RH_VIOL_CQE_NOT_IN_FLIGHT,	/* CQE acted on for an op not in flight */
	RH_VIOL_CQE_WRONG_LIFE,		/* CQE of another generation accepted */
	RH_VIOL_RELEASE_IN_FLIGHT,	/* record recycled before its CQE */
	RH_VIOL_OWNED_AT_EXIT,		/* buffer still lent to the kernel */
	RH_VIOL_SQE_BAD_ADDRESS,	/* SQE points outside its op's memory */
	RH_VIOL_KERNEL_FAULT,		/* a CQE said -EFAULT: kernel hit a guard */
	RH_VIOL_LATE_KERNEL_ACCESS,	/* op completed into a quarantined buffer */
	RH_VIOL_POISON_CHANGED,		/* a freed buffer was written */
	RH_VIOL_PROGRAM_TOUCH,		/* the program touched a freed buffer */
	RH_VIOL_CHECKSUM,		/* destination differs from the source */
	RH_VIOL_FD_LEAK,		/* more fds open at the end than at start */
	RH_VIOL_PROVIDE_KERNEL,		/* buffer given to the buffer ring while
					 * the kernel owns it (ring or an op) */
	RH_VIOL_SELECT_NOT_PROVIDED,	/* a CQE names a ring buffer that was
					 * not in the ring */
	RH_VIOL_RING_BUF_LOST,		/* ring buffers never given back */
	RH_VIOL_RECLAIM_IN_FLIGHT,	/* buffer ring taken back while reads
					 * that pick from it are in flight */
	RH_VIOL__COUNT,
};

const char *rh_violation_name(enum rh_violation_kind k);

struct rh_ledger_buf {
	const void *addr;
	size_t size;
	uint8_t state;			/* enum rh_buf_state */
	bool lent;			/* lent to the kernel since its get */
	const struct rc_op *op;		/* the op that lent it (KERNEL) */
};

struct rh_ledger_op {
	const struct rc_op *op;
	const void *buf;		/* buffer it was submitted with */
	size_t buf_size;
	uint64_t user_data;		/* what its SQE carries */
	bool in_flight;
	const void *select_ring;	/* a buffer-select read in flight on
					 * this ring (the kernel may still pick
					 * one of its provided buffers) */
};

#define RH_LEDGER_RINGS 64

struct rh_ledger_ring {
	const void *ring;
	unsigned selects_in_flight;
};

struct rh_ledger {
	struct rc_hmap bufs;		/* struct rh_ledger_buf by addr */
	struct rc_hmap ops;		/* struct rh_ledger_op by op */
	/* buffer-select reads in flight, per ring */
	struct rh_ledger_ring rings[RH_LEDGER_RINGS];
	/* the proof summary's counters */
	uint64_t buffers_seen, submits, cqes, frees, frees_after_cqe;
	uint64_t frees_never_lent;	/* got and freed without an SQE */
};

void rh_ledger_init(struct rh_ledger *l);
void rh_ledger_free(struct rh_ledger *l);

/*
 * Apply one trace event.  Returns RH_VIOL_NONE or what it broke.  Events
 * the ledger does not track return RH_VIOL_NONE.
 */
enum rh_violation_kind rh_ledger_event(struct rh_ledger *l,
				       enum rc_trace_event ev,
				       const struct rc_op *op, const void *buf,
				       size_t len, int64_t res);

/* The state of the buffer that contains addr (FREE if unknown). */
enum rh_buf_state rh_ledger_state(const struct rh_ledger *l, const void *addr);
const struct rh_ledger_buf *rh_ledger_find_buf(const struct rh_ledger *l,
					       const void *addr);

const struct rh_ledger_op *rh_ledger_find_op(const struct rh_ledger *l,
					     const struct rc_op *op);

/* Buffers still lent to the kernel (at exit: each is a violation). */
size_t rh_ledger_kernel_owned(const struct rh_ledger *l);

#endif
