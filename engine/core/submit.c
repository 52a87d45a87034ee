/* SPDX-License-Identifier: MIT */
/*
 * Submission: queued ops become SQEs (a linked chain never split across
 * two submissions), io_uring_enter, waiting, and handing completed ops
 * back to the caller.
 */
#include <errno.h>
#include <unistd.h>

#include "core.h"

/*
 * io_uring_submit() that retries on EINTR and counts enter calls.  A
 * failure leaves already-pushed SQEs in the SQ ring: the kernel may still
 * consume them, so their ops stay in flight.
 */
static int rc_ring_submit(struct rc_ring *r)
{
	int ret;

	do {
		r->stats.enter_calls++;
		ret = io_uring_submit(&r->uring);
	} while (ret == -EINTR);
	return ret;
}

int rc_ring_get_sqe(struct rc_ring *r, struct io_uring_sqe **sqep,
		    bool *was_full)
{
	int tries, ret;

	for (tries = 0; tries < 1000; tries++) {
		*sqep = io_uring_get_sqe(&r->uring);
		if (*sqep)
			return 0;
		if (was_full)
			*was_full = true;
		ret = rc_ring_submit(r);
		if (ret == -EBUSY || ret == -EAGAIN) {
			/* CQ backpressure: make room by reaping, then retry */
			if (!rc_ring_reap(r))
				usleep(1000);
		} else if (ret < 0) {
			return ret;
		}
	}
	return -EBUSY;
}

/*
 * Write the SQEs of every queued op, submitting only when the SQ is full.
 * A linked chain is never split across two submissions.
 */
static int rc_ring_write_sqes(struct rc_ring *r)
{
	struct rc_op *op, *o;
	unsigned stuck = 0;
	int ret;

	if (r->sync)
		return rc_sync_run_queued(r);

	while ((op = r->queued.head)) {
		unsigned need = 0;

		for (o = op; o; o = o->next) {
			need += o->link_timeout_ns ? 2 : 1;
			if (!(o->sqe_flags & RC_LINK_FLAGS))
				break;
		}
		if (need > r->uring.sq.ring_entries) {
			/* can never fit */
			rc_ring_fail_chain(r, op, -EINVAL, true);
			continue;
		}
		if (io_uring_sq_space_left(&r->uring) < need) {
			ret = rc_ring_submit(r);
			if (ret == -EBUSY || ret == -EAGAIN) {
				if (!rc_ring_reap(r) && ++stuck > 1000)
					return ret;
				if (stuck)
					usleep(1000);
			} else if (ret < 0) {
				return ret;
			}
			continue;
		}
		rc_list_del(&r->queued, op);
		ret = rc_op_write_sqe(r, op);
		if (ret)	/* cannot happen: space was checked */
			return ret;
	}
	return 0;
}

int rc_ring_flush(struct rc_ring *r)
{
	int ret = rc_ring_write_sqes(r);

	if (ret < 0 || r->sync)
		return ret;
	if (!io_uring_sq_ready(&r->uring))
		return 0;
	ret = rc_ring_submit(r);
	if (ret == -EBUSY || ret == -EAGAIN) {
		rc_ring_reap(r);
		return 0;	/* SQEs stay in the SQ ring for the next enter */
	}
	return ret;
}

int rc_ring_wait(struct rc_ring *r, unsigned min_cqes, int timeout_ms)
{
	struct __kernel_timespec ts;
	struct io_uring_cqe *cqe;
	int ret, n;

	ret = rc_ring_write_sqes(r);
	if (ret < 0 || r->sync)		/* the fallback ran them all */
		return ret;
	n = rc_ring_reap(r);
	if (n || !min_cqes) {
		if (io_uring_sq_ready(&r->uring)) {
			ret = rc_ring_flush(r);
			if (ret < 0)
				return ret;
		}
		return n;
	}
	/* submit and wait in one io_uring_enter */
	r->stats.enter_calls++;
	if (timeout_ms < 0) {
		ret = io_uring_submit_and_wait(&r->uring, min_cqes);
	} else {
		ts.tv_sec = timeout_ms / 1000;
		ts.tv_nsec = (long long)(timeout_ms % 1000) * 1000000;
		ret = io_uring_submit_and_wait_timeout(&r->uring, &cqe,
						       min_cqes, &ts, NULL);
	}
	if (ret < 0 && ret != -ETIME && ret != -EBUSY && ret != -EAGAIN)
		return ret;
	n = rc_ring_reap(r);
	if (!n && ret == -ETIME)
		return -ETIME;
	return n;
}

struct rc_op *rc_ring_next(struct rc_ring *r)
{
	struct rc_op *op = rc_list_pop(&r->ready);

	if (!op)
		return NULL;
	op->state = RC_OP_IDLE;
	rc_op_close_unrun(op);
	rc_trace(r, RC_EV_DELIVER, op, op->buf, op->buf_size, op->res);
	return op;
}

