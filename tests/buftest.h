/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the buffer-strategy tests: a ring with a strategy, a trace
 * hook that keeps the opcode, flags and address of every SQE, files to
 * copy and compare.
 */
#ifndef T_BUFTEST_H
#define T_BUFTEST_H

#include "ringcp/copy.h"
#include "testutil.h"

#define T_SQE_MAX 4096

struct t_sqe_log {
	unsigned n;
	struct { uint8_t opcode, flags; uint16_t buf_index; uint64_t addr;
		 const struct rc_op *op; } sqe[T_SQE_MAX];
	unsigned selects, provides, reclaims, lost;
	unsigned puts, gets;
};

static struct t_sqe_log t_sqe_log;

static void t_sqe_trace(void *arg, enum rc_trace_event ev,
		      const struct rc_op *op, const void *buf, size_t len,
		      int64_t res)
{
	struct t_sqe_log *l = arg;
	const struct io_uring_sqe *sqe = buf;

	(void)res;
	switch (ev) {
	case RC_EV_SQE:
		if (l->n < T_SQE_MAX) {
			l->sqe[l->n].opcode = sqe->opcode;
			l->sqe[l->n].flags = sqe->flags;
			l->sqe[l->n].buf_index = sqe->buf_index;
			l->sqe[l->n].addr = sqe->addr;
			l->sqe[l->n].op = op;
			l->n++;
		}
		break;
	case RC_EV_BUF_SELECT:
		l->selects++;
		break;
	case RC_EV_BUF_PROVIDE:
		l->provides++;
		break;
	case RC_EV_BUF_RECLAIM:
		l->reclaims++;
		break;
	case RC_EV_BUF_LOST:
		l->lost += (unsigned)len;
		break;
	case RC_EV_BUF_GET:
		l->gets++;
		break;
	case RC_EV_BUF_PUT:
		l->puts++;
		break;
	default:
		break;
	}
}

static inline struct rc_ring *t_strategy_ring(const char *name, unsigned bufs,
					    size_t size)
{
	struct rc_ring_params p = {
		.entries = 64,
		.strategy_bufs = bufs,
		.strategy_buf_size = size,
		.trace = t_sqe_trace,
		.trace_arg = &t_sqe_log,
	};
	struct rc_ring *r = NULL;
	int ret;

	memset(&t_sqe_log, 0, sizeof(t_sqe_log));
	ASSERT_EQ(rc_buf_strategy_by_name(name, &p.strategy), 0);
	ret = rc_ring_create(&r, &p);
	if (ret)
		SKIP("io_uring with strategy %s unavailable: %s", name,
		     rc_setup_advice(ret));
	return r;
}

static inline bool t_same_data(int a, int b, size_t len)
{
	char *x = malloc(len + 1), *y = malloc(len + 1);
	bool same = pread(a, x, len, 0) == (ssize_t)len &&
		    pread(b, y, len, 0) == (ssize_t)len &&
		    !memcmp(x, y, len);

	free(x);
	free(y);
	return same;
}

/* Copy src to dst on r with qd x bs; returns the size copied or -errno. */
static inline int64_t t_pump_copy(struct rc_ring *r, int src, int dst,
				uint64_t len, unsigned qd, uint32_t bs)
{
	/* read/write pinned: these copies test the buffer strategies */
	struct rc_copy_opts o = { .queue_depth = qd, .block_size = bs,
				  .data_path = RC_DATA_READWRITE };
	enum rc_copy_side side;
	int drain_err;

	return rc_copy_fd(r, src, dst, len, &o, &side, &drain_err);
}

/* Reap until op comes back (2 s at most). */
static inline struct rc_op *t_wait_op(struct rc_ring *r)
{
	struct rc_op *got = NULL;
	int i;

	for (i = 0; i < 200 && !got; i++) {
		rc_ring_wait(r, 1, 10);
		got = rc_ring_next(r);
	}
	return got;
}

#endif
