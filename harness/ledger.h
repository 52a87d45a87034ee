/* SPDX-License-Identifier: MIT */
/*
 * The lifetime ledger: per buffer a state FREE / APP / KERNEL, per
 * operation the buffer and life it was submitted with; per other piece of
 * memory an SQE points at (a path, a timespec) whether the kernel owns
 * it; per fd how many requests in flight name it.  Changed only by the
 * engine's trace events (and the program's close() calls, which the
 * harness wraps); requests are read from the SQEs themselves (sqe_refs.h).
 * Each event that breaks the protocol is returned as a violation kind;
 * the ledger never trusts the engine's bookkeeping (it keeps its own).
 */
#ifndef RH_LEDGER_H
#define RH_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ringcp/hmap.h"
#include "ringcp/ring.h"
#include "sqe_refs.h"

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
	RH_VIOL_MEM_FREE_WHILE_KERNEL,	/* a path or timespec given back
					 * before its request's CQE */
	RH_VIOL_FD_CLOSED_IN_FLIGHT,	/* an fd closed (close(2) or
					 * IORING_OP_CLOSE) while a request
					 * in flight names it */
	/* the witness's (the kernel's tracepoints against the ledger) */
	RH_VIOL_RELEASE_BEFORE_COMPLETE, /* memory an SQE pointed at given
					 * back before the kernel completed
					 * that request */
	RH_VIOL_DUP_USER_DATA,		/* two requests in flight in one ring
					 * with one user_data */
	RH_VIOL_NOT_REAPED,		/* a kernel completion reaped never or
					 * twice, or a reap no completion had */
	RH_VIOL_FOREIGN_CQE,		/* a CQE acted on is not the kernel's
					 * completion of that life's request */
	RH_VIOL_COMPLETE_AFTER_FREE,	/* a request completed in a ring
					 * whose memory was given back */
	RH_VIOL_WITNESS_LOST,		/* the kernel dropped trace events:
					 * the witness cannot vouch */
	RH_VIOL__COUNT,
};

const char *rh_violation_name(enum rh_violation_kind k);

struct rh_ledger_buf {
	const void *addr;
	size_t size;
	uint8_t state;			/* enum rh_buf_state */
	bool lent;			/* lent to the kernel since its get */
	const struct rc_op *op;		/* the op that lent it (KERNEL) */
	const void *ring;		/* the ring it was lent to */
};

struct rh_ledger_op {
	const struct rc_op *op;
	const void *buf;		/* buffer it was submitted with */
	size_t buf_size;
	uint64_t user_data;		/* what its SQE carries */
	const void *ring;		/* the ring it was submitted to */
	bool in_flight;
	const void *select_ring;	/* a buffer-select read in flight on
					 * this ring (the kernel may still pick
					 * one of its provided buffers) */
	struct rh_sqe_refs refs;	/* its SQE's paths and fds ... */
	bool refs_live;			/* ... the kernel's until its CQE */
	const void *ts;			/* its timeout's timespec, the
					 * kernel's until the timeout's CQE */
};

/* A path or timespec the kernel owns (by address, while lent). */
struct rh_ledger_mem {
	const void *addr;
	size_t len;
	enum rh_mem_kind kind;
	const struct rc_op *op;
};

/* An fd named by requests in flight. */
struct rh_ledger_fd {
	unsigned count;
	const struct rc_op *op;		/* the latest to name it */
};

#define RH_LEDGER_RINGS 64

struct rh_ledger_ring {
	const void *ring;
	unsigned selects_in_flight;
};

struct rh_ledger {
	struct rc_hmap bufs;		/* struct rh_ledger_buf by addr */
	struct rc_hmap ops;		/* struct rh_ledger_op by op */
	struct rc_hmap mems;		/* struct rh_ledger_mem by addr */
	struct rc_hmap fds;		/* struct rh_ledger_fd by fd */
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

/*
 * An SQE the engine wrote for op (RC_EV_SQE; its link timeout's too): its
 * paths and fds are the kernel's until op's CQE, its timespec until the
 * timeout's CQE.  An IORING_OP_CLOSE of an fd that a request in flight
 * names returns RH_VIOL_FD_CLOSED_IN_FLIGHT (*other: that request's op).
 */
enum rh_violation_kind rh_ledger_sqe(struct rh_ledger *l,
				     const struct rc_op *op,
				     const struct io_uring_sqe *sqe,
				     const struct rc_op **other);

/*
 * The program closes fd: RH_VIOL_FD_CLOSED_IN_FLIGHT if a request in
 * flight names it (*by: its op).
 */
enum rh_violation_kind rh_ledger_close(struct rh_ledger *l, int fd,
				       const struct rc_op **by);

/* The state of the buffer that contains addr (FREE if unknown). */
enum rh_buf_state rh_ledger_state(const struct rh_ledger *l, const void *addr);
const struct rh_ledger_buf *rh_ledger_find_buf(const struct rh_ledger *l,
					       const void *addr);

const struct rh_ledger_op *rh_ledger_find_op(const struct rh_ledger *l,
					     const struct rc_op *op);

/* Buffers still lent to the kernel (at exit: each is a violation). */
size_t rh_ledger_kernel_owned(const struct rh_ledger *l);

/*
 * The same, less those lent to a ring in leaked (a set of rings the
 * engine leaked on purpose, keyed by address): *kept gets their count.
 */
size_t rh_ledger_kernel_owned_but(const struct rh_ledger *l,
				  const struct rc_hmap *leaked, size_t *kept);

/* fds that requests in flight still name (kept open on purpose). */
unsigned rh_ledger_fds_named(const struct rh_ledger *l);

#endif
