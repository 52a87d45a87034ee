/* SPDX-License-Identifier: MIT */
/*
 * The fallback backend: where io_uring cannot be set up (a container's
 * seccomp profile, kernel.io_uring_disabled), a ring with no io_uring
 * behind it runs each queued op at once with the matching system call and
 * hands its answer to the same completion code as a CQE would.  Every
 * layer above (the pump, the tree copy's jobs) runs unchanged, so the
 * copy has the same semantics; it is only slower: one op at a time.
 *
 * Nothing of this touches the io_uring path: a ring is one or the other
 * from rc_ring_create*() on (r->sync), and the few places that differ
 * (submission, reaping, the teardown's proof) ask which.  An op here is
 * never in flight between two calls, so nothing can be cancelled under
 * the kernel and the teardown has nothing to prove.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core.h"

int rc_ring_create_sync(struct rc_ring **ringp, const struct rc_ring_params *p)
{
	struct rc_ring *r = calloc(1, sizeof(*r));
	int ret;

	if (!r)
		return -ENOMEM;
	r->sync = true;
	r->buf_ops = p && p->buf_ops ? p->buf_ops : &rc_buf_heap;
	r->buf_ctx = p ? p->buf_ctx : NULL;
	r->trace = p ? p->trace : NULL;
	r->trace_arg = p ? p->trace_arg : NULL;
	/* fixed and ring buffers are registered with io_uring: none here */
	ret = rc_buf_strategy_start(r, p);
	if (ret) {
		free(r);
		return ret;
	}
	*ringp = r;
	return 0;
}

bool rc_ring_is_sync(const struct rc_ring *r)
{
	return r->sync;
}

/* The system call an op stands for.  Returns its result or -errno. */
static int rc_sync_exec(struct rc_op *op)
{
	void *addr = op->buf ? (char *)op->buf + op->io_off : NULL;
	long ret;

	switch (op->opcode) {
	case IORING_OP_READ:
		ret = pread(op->fd, addr, op->len, (off_t)op->off);
		break;
	case IORING_OP_WRITE:
		ret = pwrite(op->fd, addr, op->len, (off_t)op->off);
		break;
	case IORING_OP_OPENAT:
		ret = openat(op->dfd, op->path, (int)op->rw_flags,
			     (mode_t)op->mode);
		break;
	case IORING_OP_STATX:
		ret = statx(op->dfd, op->path, (int)op->rw_flags, op->mode,
			    (struct statx *)op->buf);
		break;
	case IORING_OP_FSYNC:
		ret = op->rw_flags & IORING_FSYNC_DATASYNC ? fdatasync(op->fd) :
							     fsync(op->fd);
		break;
	case IORING_OP_CLOSE:
		ret = close(op->fd);
		break;
	case IORING_OP_LINKAT:
		ret = linkat(op->dfd, op->path, op->fd, op->path2,
			     (int)op->rw_flags);
		break;
	case IORING_OP_RENAMEAT:
		ret = renameat2(op->dfd, op->path, op->fd, op->path2,
				op->rw_flags);
		break;
	case IORING_OP_NOP:
		ret = 0;
		break;
	default:
		return -EOPNOTSUPP;
	}
	return ret < 0 ? -errno : (int)ret;
}

/*
 * Run one queued op: it goes through the states an SQE would (in flight,
 * then its CQE and its linked timeout's), so the records, traces and
 * counters are the same.  res_if: the answer it gets without running
 * (-ECANCELED in a broken chain), or 0 to run it.  Returns its result.
 */
static int rc_sync_run(struct rc_ring *r, struct rc_op *op, int res_if)
{
	struct io_uring_cqe cqe;
	uint64_t tud;
	bool timeout = op->link_timeout_ns != 0;

	op->gen++;
	op->owner |= RC_OWNER_KERNEL;
	op->state = RC_OP_INFLIGHT;
	op->kernel_cqes = timeout ? 2 : 1;
	op->timeout_pending = timeout;
	op->submit_ns = rc_now_ns();
	rc_list_push(&r->inflight, op);
	rc_trace(r, RC_EV_SUBMIT, op, op->buf, op->buf_size, 0);
	r->stats.ops_submitted++;
	tud = rc_op_ud(op, RC_UD_TIMEOUT);
	memset(&cqe, 0, sizeof(cqe));
	cqe.user_data = rc_op_ud(op, RC_UD_OP);
#ifdef RC_MUTANT_SYNC_EARLY_PUT
	/* MUTANT: the op's buffer goes back before its answer */
	if (op->buf)
		rc_buf_put(r, op->buf, op->buf_size);
#endif
	cqe.res = res_if ? res_if : rc_sync_exec(op);
	rc_ring_handle_cqe(r, &cqe);
	if (timeout) {		/* the op finished first: its timeout's answer */
		int res = cqe.res;

		cqe.user_data = tud;
		cqe.res = -ECANCELED;
		rc_ring_handle_cqe(r, &cqe);
		cqe.res = res;
	}
	return cqe.res;
}

int rc_sync_run_queued(struct rc_ring *r)
{
	struct rc_op *op;
	bool broken = false;	/* an op of a soft-linked chain failed */
	int res, n = 0;

	while ((op = r->queued.head)) {
		uint8_t flags = op->sqe_flags;

		rc_list_del(&r->queued, op);
		res = rc_sync_run(r, op, broken ? -ECANCELED : 0);
		n++;
		if (!(flags & RC_LINK_FLAGS))
			broken = false;		/* the chain ends here */
		else if (res < 0 && !(flags & IOSQE_IO_HARDLINK))
			broken = true;
	}
	return n;
}
