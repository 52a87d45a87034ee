/* SPDX-License-Identifier: MIT */
/*
 * Engine internals shared by rc_ring.c, rc_op.c and rc_buf.c.
 */
#ifndef RC_PRIVATE_H
#define RC_PRIVATE_H

#include "rc.h"
#include "rc_mutant.h"
#include "rc_ptrset.h"

/* user_data layout: record address | tag | generation << RC_UD_GEN_SHIFT */
#define RC_UD_TAG_MASK		0x7ull
#define RC_UD_TAG_OP		0x0ull
#define RC_UD_TAG_CANCEL	0x1ull
#define RC_UD_TAG_TIMEOUT	0x2ull
#define RC_UD_TAG_CANCEL_FD	0x3ull	/* address: the ring itself */
#define RC_UD_GEN_SHIFT		48
#define RC_UD_ADDR_MASK		((1ull << RC_UD_GEN_SHIFT) - 1)

struct rc_op_list {
	struct rc_op *head, *tail;
	unsigned count;
};

struct rc_ring {
	struct io_uring uring;
	bool uring_live;
	struct io_uring_probe *probe;
	unsigned features;		/* io_uring_params.features */

	struct rc_op_list queued;	/* RC_OP_QUEUED, FIFO */
	struct rc_op_list inflight;	/* RC_OP_INFLIGHT */
	struct rc_op_list ready;	/* RC_OP_READY, FIFO */
	struct rc_op_list free;		/* RC_OP_FREE */
	struct rc_ptrset records;	/* every record ever allocated */
	unsigned cancels_pending;	/* ASYNC_CANCELs not yet answered */
	unsigned limbo;			/* released records waiting for the
					 * answer of a cancel aimed at them */

	const struct rc_buf_ops *buf_ops;	/* the allocator */
	void *buf_ctx;
	const struct rc_buf_ops *strategy;	/* how buffers are kept */
	void *strategy_ctx;
	rc_trace_fn trace;
	void *trace_arg;

	struct rc_ring_stats stats;
	struct rc_ring *leaked_next;	/* on rc_leaked_rings once leaked */
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

void rc_list_push(struct rc_op_list *l, struct rc_op *op);
void rc_list_del(struct rc_op_list *l, struct rc_op *op);
struct rc_op *rc_list_pop(struct rc_op_list *l);

/* Account a cancelled op's effects and release it (KERNEL must be clear). */
void rc_op_halt_and_release(struct rc_op *op);

/* Release a record nobody owns any more: buffer back, record recycled. */
void rc_op_release(struct rc_op *op);

/* Write the SQE(s) of a queued op. Returns 0 or -EBUSY if the SQ is full. */
int rc_op_write_sqe(struct rc_ring *r, struct rc_op *op);

/* Handle one CQE. */
void rc_ring_handle_cqe(struct rc_ring *r, const struct io_uring_cqe *cqe);

/*
 * Get an SQE, submitting what is pending if the SQ is full (*was_full set).
 * Returns 0 or -errno.
 */
int rc_ring_get_sqe(struct rc_ring *r, struct io_uring_sqe **sqep,
		    bool *was_full);

/* The op's CQEs have all come: hand it back or release it. */
void rc_op_complete(struct rc_ring *r, struct rc_op *op);

/* Memory from the ring's allocator (counted in buffers_allocated). */
int rc_buf_alloc(struct rc_ring *r, size_t len, void **bufp);
void rc_buf_free(struct rc_ring *r, void *buf, size_t len);

/* Set up the ring's strategy (after io_uring setup) / tear it down. */
int rc_buf_strategy_start(struct rc_ring *r, const struct rc_ring_params *p);
void rc_buf_strategy_stop(struct rc_ring *r);

/* Strategy ring: is buf one of the provided buffers? */
bool rc_buf_ring_owns(void *ctx, const void *buf);
int rc_buf_ring_peek(void *ctx, void **bufp, size_t *lenp);

/* Strategy fixed: registered buffer idx's range. */
int rc_buf_fixed_range(void *ctx, unsigned idx, const void **basep,
		       size_t *lenp);

#ifdef RC_MUTANT_FIXED_UNREGISTER
/* MUTANT: unregister the table and give its buffers back, ops in flight */
void rc_buf_fixed_mutant_unregister(void *ctx);
#endif

/* A read of op picks a ring buffer: op holds none, or a ring one. */
bool rc_buf_read_selects(struct rc_ring *r, const struct rc_op *op);

/* Attach the ring buffer a read's CQE names (cqe flags) to op. */
void rc_buf_attach_selected(struct rc_ring *r, struct rc_op *op,
			    uint32_t cqe_flags);

#define RC_LINK_FLAGS (IOSQE_IO_LINK | IOSQE_IO_HARDLINK)

static inline uint64_t rc_op_user_data(const struct rc_op *op, uint64_t tag)
{
	return (uint64_t)(uintptr_t)op | tag |
	       ((uint64_t)(op->gen & 0xffff) << RC_UD_GEN_SHIFT);
}

#endif
