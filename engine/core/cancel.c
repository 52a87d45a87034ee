/* SPDX-License-Identifier: MIT */
/*
 * Cancellation.  Cancelling drops the caller's share (APP) of an op; only
 * the op's own CQE ends its life, whatever an ASYNC_CANCEL answers.  One
 * op (rc_op_cancel), every op (rc_ring_cancel_all), or every op on an fd
 * with a single request (rc_ring_cancel_fd, _sync).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"

int rc_op_cancel(struct rc_op *op)
{
	struct rc_ring *r = op->ring;
	struct io_uring_sqe *sqe;
	bool was_full = false;
	int ret;

	if (!(op->owner & RC_OWNER_APP) || op->state == RC_OP_FREE)
		return -EINVAL;		/* not the caller's to cancel */
	r->stats.cancels++;
	op->cancel_ns = rc_now_ns();
	op->owner &= (uint8_t)~RC_OWNER_APP;
	rc_trace(r, RC_EV_CANCEL, op, op->buf, op->buf_size, op->state);

	switch (op->state) {
	case RC_OP_IDLE:
		r->stats.cancels_released_now++;
		rc_op_release(op);
		return 0;
	case RC_OP_QUEUED:
		r->stats.cancels_released_now++;
		/* what the kernel does to the rest of a chain, before any SQE */
		rc_ring_fail_chain(r, op, -ECANCELED, false);
		if (op->opcode == IORING_OP_CLOSE) {
			/* the fd was given to the op: close it as asked */
			close(op->fd);
			r->stats.halt_fds_closed++;
		}
		rc_op_release(op);
		return 0;
	case RC_OP_READY:
		r->stats.cancels_released_now++;
		rc_list_del(&r->ready, op);
		rc_op_halt_and_release(op);
		return 0;
	default:
		break;
	}

#ifdef RC_MUTANT_PATH_FREE_AT_CANCEL
	/* MUTANT: "the kernel copies a path at prep": freed at cancel */
	rc_op_free_path(op, &op->path);
	rc_op_free_path(op, &op->path2);
#endif
#ifdef RC_MUTANT_STATX_FREE_AT_CANCEL
	/* MUTANT: "a statx buffer is only an answer, and nobody waits for
	 * it any more": given back at cancel */
	if (op->opcode == IORING_OP_STATX && op->buf) {
		rc_buf_put(r, op->buf, op->buf_size);
		op->buf = NULL;
	}
#endif
#ifdef RC_MUTANT_FREE_ON_CANCEL
	/* MUTANT: the buffer is released when cancel is called */
	if (op->buf) {
		rc_buf_put(r, op->buf, op->buf_size);
		op->buf = NULL;
	}
#endif
	/* in flight: ask the kernel, free nothing, whatever it answers */
	ret = rc_ring_get_sqe(r, &sqe, &was_full);
	if (was_full)
		r->stats.cancel_sq_full_retries++;
	if (ret)
		return ret;
	/*
	 * Getting the SQE may have reaped the op's CQE and released it: the
	 * cancel then finds nothing (-ENOENT), which is harmless, and the
	 * record waits in limbo for that answer (rc_op_release).
	 */
	if (op->state == RC_OP_FREE) {
		rc_list_del(&r->free, op);
		r->limbo++;
	}
	io_uring_prep_cancel64(sqe, rc_op_ud(op, RC_UD_OP), 0);
	io_uring_sqe_set_data64(sqe, rc_op_ud(op, RC_UD_CANCEL));
	r->stats.cancel_sqes++;
	r->cancels_pending++;
	op->cancels_pending++;
	return 0;
}

/*
 * Cancel the in-flight ops the caller still owns.  Cancelling may reap CQEs
 * (SQ full), which moves records between lists: walk a snapshot and skip
 * ops whose life ended meanwhile.  Returns how many were cancelled, or
 * -errno.
 */
static int rc_ring_cancel_inflight(struct rc_ring *r, int *first_err)
{
	struct { struct rc_op *op; uint32_t gen; } *snap;
	unsigned i, n = 0;
	struct rc_op *op;
	int ret, done = 0;

	snap = calloc(r->inflight.count + 1, sizeof(*snap));
	if (!snap)
		return -ENOMEM;
	for (op = r->inflight.head; op; op = op->next)
		if (op->owner & RC_OWNER_APP)
			snap[n++] = (typeof(*snap)){ op, op->gen };
	for (i = 0; i < n; i++) {
		op = snap[i].op;
		if (op->gen != snap[i].gen || op->state != RC_OP_INFLIGHT ||
		    !(op->owner & RC_OWNER_APP))
			continue;
		ret = rc_op_cancel(op);
		if (ret && !*first_err)
			*first_err = ret;
		done++;
	}
	free(snap);
	return done;
}

int rc_ring_cancel_all(struct rc_ring *r)
{
	struct rc_op *op;
	int ret, first_err = 0;

	/* until no op the caller owns is left anywhere: cancelling in-flight
	 * ops can reap others into the ready list */
	for (;;) {
		while ((op = r->queued.head))
			rc_op_cancel(op);
		while ((op = r->ready.head))
			rc_op_cancel(op);
		ret = rc_ring_cancel_inflight(r, &first_err);
		if (ret < 0)
			return ret;
		if (!ret && !r->queued.count && !r->ready.count)
			break;
	}
	ret = rc_ring_flush(r);
	return first_err ? first_err : (ret < 0 ? ret : 0);
}

/*
 * Drop the caller's share of every op on fd (all if fd < 0).  Ops the
 * kernel does not hold are released now; in-flight ones lose APP only:
 * the caller asks the kernel once for all of them.  Returns how many.
 */
static int rc_ring_give_up_fd(struct rc_ring *r, int fd)
{
	struct rc_op *op, *next;
	int n = 0;

	for (op = r->queued.head; op; op = next) {
		next = op->next;
		if (fd >= 0 && op->fd != fd)
			continue;
		/* cancelling it moves the rest of its chain to the ready list
		 * (rc_ring_fail_chain): go on after the chain's last op */
		while (next && (next->prev->sqe_flags & RC_LINK_FLAGS))
			next = next->next;
		rc_op_cancel(op);
		n++;
	}
	for (op = r->ready.head; op; op = next) {
		next = op->next;
		if (fd < 0 || op->fd == fd) {
			rc_op_cancel(op);
			n++;
		}
	}
	for (op = r->inflight.head; op; op = op->next) {
		if (!(op->owner & RC_OWNER_APP) || (fd >= 0 && op->fd != fd))
			continue;
		r->stats.cancels++;
		op->cancel_ns = rc_now_ns();
		op->owner &= (uint8_t)~RC_OWNER_APP;
		rc_trace(r, RC_EV_CANCEL, op, op->buf, op->buf_size, op->state);
		n++;
	}
	return n;
}

int rc_ring_cancel_fd(struct rc_ring *r, int fd)
{
	struct io_uring_sqe *sqe;
	bool was_full = false;
	int n, ret;

	/* the SQEs of queued ops must reach the kernel first, so that the
	 * cancel sees them; queued ops of fd are released without any */
	n = rc_ring_give_up_fd(r, fd);
	if (r->sync)	/* the fallback: no kernel, nothing in flight */
		return n;
	ret = rc_ring_get_sqe(r, &sqe, &was_full);
	if (was_full)
		r->stats.cancel_sq_full_retries++;
	if (ret)
		return ret;
	/* (io_uring_prep_cancel_fd always adds CANCEL_FD: not for ANY) */
	if (fd < 0)
		io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY |
				       IORING_ASYNC_CANCEL_ALL);
	else
		io_uring_prep_cancel_fd(sqe, fd, IORING_ASYNC_CANCEL_ALL);
	io_uring_sqe_set_data64(sqe, rc_ud_make(r, RC_UD_CANCEL_FD,
						++r->cancel_fd_seq));
	r->cancels_pending++;
	r->stats.cancel_fd_requests++;
	return n;
}

int rc_ring_cancel_fd_sync(struct rc_ring *r, int fd, int timeout_ms)
{
	struct io_uring_sync_cancel_reg reg;
	int n, ret;

	ret = rc_ring_flush(r);	/* queued ops of other fds go in too */
	if (ret < 0)
		return ret;
	n = rc_ring_give_up_fd(r, fd);
	if (r->sync)	/* the fallback ran them all: nothing to ask */
		return n;
	memset(&reg, 0, sizeof(reg));
	reg.fd = fd < 0 ? 0 : fd;
	reg.flags = IORING_ASYNC_CANCEL_ALL | (fd < 0 ? IORING_ASYNC_CANCEL_ANY :
						       IORING_ASYNC_CANCEL_FD);
	reg.timeout.tv_sec = timeout_ms / 1000;
	reg.timeout.tv_nsec = (long long)(timeout_ms % 1000) * 1000000;
	r->stats.cancel_fd_requests++;
	r->stats.cancel_fd_sync++;
	ret = io_uring_register_sync_cancel(&r->uring, &reg);
	rc_trace(r, RC_EV_CANCEL_CQE, NULL, NULL, 0, ret);
	/* -ENOENT: nothing left to cancel (all done); any answer: wait for
	 * each op's own CQE */
	return ret < 0 && ret != -ENOENT ? ret : n;
}

