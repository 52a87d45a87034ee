/* SPDX-License-Identifier: MIT */
/*
 * The ring core's private header: the ring itself, its op lists, the
 * user_data layout, and what the core's files ask of each other.  Seen
 * only by engine code (the Makefile gives -Iengine to nobody else).
 *
 * Who calls whom (no file calls back up this list):
 *   ring.c      create, accessors        -> buf.c
 *   teardown.c  drain, proof, free, leak -> cancel.c, submit.c, op.c, buf.c
 *   cancel.c    cancels of every kind    -> submit.c, op.c
 *   submit.c    SQ, enter, wait, reap    -> sqe.c, cqe.c, op.c
 *   cqe.c       acting on one CQE        -> op.c, buf.c
 *   sqe.c       an op's SQE(s)           -> buf.c
 *   op.c        records, prep, release   -> buf.c
 *   buf.c       strategy dispatch        -> alloc.c (strategies: by table)
 *   buf_*.c     the strategies           -> buf_pool.c, alloc.c, ring.c
 *   sync.c      the fallback backend     -> cqe.c, buf.c (called by
 *               submit.c and teardown.c where r->sync)
 */
#ifndef RC_CORE_H
#define RC_CORE_H

#include "ringcp/config.h"
#include "ringcp/hmap.h"
#include "ringcp/ring.h"
#include "mutant.h"

/* user_data: record address | tag | life << RC_UD_LIFE_SHIFT (records are
 * 8-byte aligned and their addresses fit in 48 bits) */
#define RC_UD_TAG_MASK		0x7ull
#define RC_UD_LIFE_SHIFT	48
#define RC_UD_ADDR_MASK		((1ull << RC_UD_LIFE_SHIFT) - 1)
#define RC_UD_LIFE_MASK		0xffffu

static inline uint64_t rc_ud_make(const void *record, unsigned tag,
				  uint32_t life)
{
	return (uint64_t)(uintptr_t)record | tag |
	       ((uint64_t)(life & RC_UD_LIFE_MASK) << RC_UD_LIFE_SHIFT);
}

static inline uint64_t rc_op_ud(const struct rc_op *op, unsigned tag)
{
	return rc_ud_make(op, tag, op->gen);
}

#define RC_LINK_FLAGS (IOSQE_IO_LINK | IOSQE_IO_HARDLINK)

struct rc_op_list {
	struct rc_op *head, *tail;
	unsigned count;
};

struct rc_ring {
	struct io_uring uring;
	bool uring_live;
	bool sync;			/* the fallback: no io_uring (sync.c) */
	struct io_uring_probe *probe;
	unsigned features;		/* io_uring_params.features */

	struct rc_op_list queued;	/* RC_OP_QUEUED, FIFO */
	struct rc_op_list inflight;	/* RC_OP_INFLIGHT */
	struct rc_op_list ready;	/* RC_OP_READY, FIFO */
	struct rc_op_list free;		/* RC_OP_FREE */
	struct rc_hmap records;		/* every record ever allocated */
	unsigned cancels_pending;	/* ASYNC_CANCELs not yet answered */
	uint32_t cancel_fd_seq;		/* the life of the next cancel keyed
					 * on an fd: each has its own
					 * user_data */
	unsigned limbo;			/* released records waiting for the
					 * answer of a cancel aimed at them */
	uint64_t charged;		/* bytes ops hold (rc_op_charge) */

	const struct rc_buf_ops *buf_ops;	/* the allocator */
	void *buf_ctx;
	const struct rc_buf_ops *strategy;	/* how buffers are kept */
	void *strategy_ctx;
	rc_trace_fn trace;
	void *trace_arg;
	bool (*fail_path_copy)(void *arg, const struct rc_op *op,
			       const char *path);
	void *fail_arg;

	struct rc_ring_stats stats;
	struct rc_ring *leaked_next;	/* on the leaked list once leaked */
};

#ifdef RC_TRACE
#define rc_trace(r, ev, op, buf, len, res)				\
	do {								\
		if ((r)->trace)						\
			(r)->trace((r)->trace_arg, (ev), (op), (buf),	\
				   (len), (res));			\
	} while (0)
#else
#define rc_trace(r, ev, op, buf, len, res) do { } while (0)
#endif

/* ---- op lists ---- */

static inline void rc_list_push(struct rc_op_list *l, struct rc_op *op)
{
	op->next = NULL;
	op->prev = l->tail;
	if (l->tail)
		l->tail->next = op;
	else
		l->head = op;
	l->tail = op;
	l->count++;
}

static inline void rc_list_del(struct rc_op_list *l, struct rc_op *op)
{
	if (op->prev)
		op->prev->next = op->next;
	else
		l->head = op->next;
	if (op->next)
		op->next->prev = op->prev;
	else
		l->tail = op->prev;
	op->prev = op->next = NULL;
	l->count--;
}

static inline struct rc_op *rc_list_pop(struct rc_op_list *l)
{
	struct rc_op *op = l->head;

	if (op)
		rc_list_del(l, op);
	return op;
}

/* ---- op.c ---- */

/* Account a cancelled op's effects and release it (KERNEL must be clear). */
void rc_op_halt_and_release(struct rc_op *op);

/*
 * A CLOSE that never ran (-ECANCELED: cancelled, or its chain failed) still
 * owns its fd: close it.  Called when the op is handed back or released.
 */
void rc_op_close_unrun(struct rc_op *op);

/* Give back a path copy the op owns (traced: the ledger checks it). */
void rc_op_free_path(struct rc_op *op, char **path);

/* Release a record nobody owns any more: buffer back, record recycled. */
void rc_op_release(struct rc_op *op);

/*
 * A queued op and the rest of its linked chain leave the queue without
 * any SQE written: op itself just leaves it, every op linked after it
 * gets err in its res and goes to the ready list, and the op linked
 * before it ends its chain there.  With self_fails, op gets err too and
 * goes to the ready list as well.  (The kernel fails a chain's rest with
 * -ECANCELED; a chain that can never fit the SQ fails whole, -EINVAL.)
 */
void rc_ring_fail_chain(struct rc_ring *r, struct rc_op *op, int err,
			bool self_fails);

/* ---- sqe.c ---- */

/* Write the SQE(s) of a queued op. Returns 0 or -EBUSY if the SQ is full. */
int rc_op_write_sqe(struct rc_ring *r, struct rc_op *op);

/* ---- submit.c ---- */

/*
 * Get an SQE, submitting what is pending if the SQ is full (*was_full set).
 * Returns 0 or -errno.
 */
int rc_ring_get_sqe(struct rc_ring *r, struct io_uring_sqe **sqep,
		    bool *was_full);

/* ---- cqe.c ---- */

/* Act on one CQE (see the function for which ones change anything). */
void rc_ring_handle_cqe(struct rc_ring *r, const struct io_uring_cqe *cqe);

/* Reap every CQE that is there, without waiting.  Returns how many. */
int rc_ring_reap(struct rc_ring *r);

/* ---- alloc.c, buf.c ---- */

/* Memory from the ring's allocator (counted in buffers_allocated). */
int rc_buf_alloc(struct rc_ring *r, size_t len, void **bufp);
void rc_buf_free(struct rc_ring *r, void *buf, size_t len);

/* Set up the ring's strategy (after io_uring setup) / tear it down. */
int rc_buf_strategy_start(struct rc_ring *r, const struct rc_ring_params *p);
void rc_buf_strategy_stop(struct rc_ring *r);

/* A read of op picks a ring buffer: op holds none, or a ring one. */
bool rc_buf_read_selects(struct rc_ring *r, const struct rc_op *op);

/* The registered index of op's buffer (a FIXED strategy), or -1. */
int rc_buf_fixed_index(struct rc_ring *r, const struct rc_op *op);

/*
 * Attach the ring buffer a read's CQE names (cqe flags) to op.  One the
 * ring did not lend is reported, and op, holding none, gets -ENOBUFS.
 */
void rc_buf_attach_selected(struct rc_ring *r, struct rc_op *op,
			    uint32_t cqe_flags);

/* A CQE the engine does not act on took a ring buffer: give it back (the
 * request that took it is over: its CQE is its last). */
void rc_buf_return_selected(struct rc_ring *r, uint32_t cqe_flags);

/* ---- sync.c ---- */

/* The fallback ring: run every queued op now, answers to the ready list.
 * Returns how many ran. */
int rc_sync_run_queued(struct rc_ring *r);

#endif
