/* SPDX-License-Identifier: MIT */
/*
 * The ring: set-up with the feature probe, and what anyone may ask of it.
 * Submission is submit.c, completion cqe.c, cancellation cancel.c, the
 * proven teardown teardown.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core.h"

uint64_t rc_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static const int rc_required_ops[] = {
	IORING_OP_READ, IORING_OP_WRITE, IORING_OP_ASYNC_CANCEL,
};

int rc_ring_create(struct rc_ring **ringp, const struct rc_ring_params *p)
{
	struct io_uring_params up;
	struct rc_ring *r;
	unsigned entries, i;
	int ret;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	if (p && (p->setup_flags & ~IORING_SETUP_CLAMP)) {
		free(r);
		return -EINVAL;
	}
	entries = p && p->entries ? p->entries : RC_RING_DEFAULT_ENTRIES;
	memset(&up, 0, sizeof(up));
	/* SUBMIT_ALL (5.18): one bad SQE does not strand the ones after it;
	 * COOP_TASKRUN (5.19): no IPI to the submitter per completion */
	up.flags = (p ? p->setup_flags : 0) | IORING_SETUP_SUBMIT_ALL |
		   IORING_SETUP_COOP_TASKRUN;
	if (p && p->cq_entries) {
		up.flags |= IORING_SETUP_CQSIZE;
		up.cq_entries = p->cq_entries;
	}
	ret = io_uring_queue_init_params(entries, &r->uring, &up);
	if (ret == -EINVAL) {	/* older kernel: without the extras */
		up.flags &= ~(unsigned)(IORING_SETUP_SUBMIT_ALL |
					IORING_SETUP_COOP_TASKRUN);
		up.sq_entries = up.cq_entries = 0;
		if (p && p->cq_entries)
			up.cq_entries = p->cq_entries;
		ret = io_uring_queue_init_params(entries, &r->uring, &up);
	}
	if (ret < 0)
		goto err;
	r->uring_live = true;
	r->features = up.features;

	r->probe = io_uring_get_probe_ring(&r->uring);
	if (!r->probe) {
		ret = -EOPNOTSUPP;	/* IORING_REGISTER_PROBE: 5.6 */
		goto err;
	}
	for (i = 0; i < sizeof(rc_required_ops) / sizeof(rc_required_ops[0]);
	     i++) {
		if (!io_uring_opcode_supported(r->probe, rc_required_ops[i])) {
			ret = -EOPNOTSUPP;
			goto err;
		}
	}
	r->buf_ops = p && p->buf_ops ? p->buf_ops : &rc_buf_heap;
	r->buf_ctx = p ? p->buf_ctx : NULL;
	r->trace = p ? p->trace : NULL;
	r->trace_arg = p ? p->trace_arg : NULL;
	r->fail_path_copy = p ? p->fail_path_copy : NULL;
	r->fail_arg = p ? p->fail_arg : NULL;
	ret = rc_buf_strategy_start(r, p);
	if (ret)
		goto err;
	rc_trace(r, RC_EV_RING_CREATE, NULL, r, (size_t)r->uring.ring_fd, 0);
	*ringp = r;
	return 0;
err:
	if (r->probe)
		io_uring_free_probe(r->probe);
	if (r->uring_live)
		io_uring_queue_exit(&r->uring);
	free(r);
	return ret;
}

bool rc_ring_has_op(const struct rc_ring *r, int opcode)
{
	return r->probe && io_uring_opcode_supported(r->probe, opcode);
}

const struct rc_ring_stats *rc_ring_stats(const struct rc_ring *r)
{
	return &r->stats;
}

struct io_uring *rc_ring_uring(struct rc_ring *r)
{
	return &r->uring;
}

unsigned rc_ring_inflight(const struct rc_ring *r)
{
	return r->inflight.count;
}

void rc_ring_trace_pipe(struct rc_ring *r, enum rc_trace_event ev,
			const void *pipe, int rfd, int wfd, int how)
{
	rc_trace(r, ev, NULL, pipe,
		 (size_t)(uint32_t)rfd << 32 | (uint32_t)wfd, how);
	/* production builds compile rc_trace out: the arguments go unused */
	(void)r; (void)ev; (void)pipe; (void)rfd; (void)wfd; (void)how;
}

unsigned rc_ring_queued(const struct rc_ring *r)
{
	return r->queued.count;
}

