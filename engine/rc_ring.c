/* SPDX-License-Identifier: MIT */
/*
 * The ring: setup and feature probe, the submit/reap loop, the in-flight
 * table, draining and the proven teardown.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rc_private.h"

#define RC_DEFAULT_ENTRIES 256

/* Rings whose teardown could not be proven: kept reachable, never freed. */
static struct rc_ring *rc_leaked_rings;
static unsigned rc_leaked_count;

uint64_t rc_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void rc_list_push(struct rc_op_list *l, struct rc_op *op)
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

void rc_list_del(struct rc_op_list *l, struct rc_op *op)
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

struct rc_op *rc_list_pop(struct rc_op_list *l)
{
	struct rc_op *op = l->head;

	if (op)
		rc_list_del(l, op);
	return op;
}

/* Read /proc/sys/kernel/io_uring_disabled: 0, 1, 2, or -1 if absent. */
static int rc_io_uring_disabled_sysctl(void)
{
	char c = 0;
	int fd = open("/proc/sys/kernel/io_uring_disabled", O_RDONLY);

	if (fd < 0)
		return -1;
	if (read(fd, &c, 1) != 1)
		c = 0;
	close(fd);
	return c >= '0' && c <= '2' ? c - '0' : -1;
}

const char *rc_setup_advice(int err)
{
	switch (err) {
	case -ENOSYS:
		return "io_uring is not available: the kernel is older than "
		       "5.1 or built without CONFIG_IO_URING, or a seccomp "
		       "filter (container runtime) hides io_uring_setup; use "
		       "Linux 5.19 or newer with io_uring, or allow "
		       "io_uring_setup in the seccomp profile";
	case -EPERM:
		switch (rc_io_uring_disabled_sysctl()) {
		case 2:
			return "io_uring is disabled on this machine "
			       "(sysctl kernel.io_uring_disabled=2); as root "
			       "run 'sysctl -w kernel.io_uring_disabled=0'";
		case 1:
			return "io_uring is restricted to root and the group "
			       "in kernel.io_uring_group "
			       "(sysctl kernel.io_uring_disabled=1); join that "
			       "group or set kernel.io_uring_disabled=0";
		default:
			return "io_uring_setup was refused (EPERM) by a "
			       "seccomp filter or security module, as container "
			       "runtimes often do; allow io_uring_setup in the "
			       "seccomp profile";
		}
	case -ENOMEM:
		return "the kernel could not allocate or lock the ring's memory "
		       "(RLIMIT_MEMLOCK on kernels before 5.12); raise "
		       "'ulimit -l' or use a smaller --queue-depth";
	case -EINVAL:
		return "the kernel rejected the ring parameters (too old for "
		       "the flags asked for?)";
	case -EOPNOTSUPP:
		return "the kernel's io_uring lacks an operation the engine "
		       "needs (READ, WRITE, ASYNC_CANCEL: Linux 5.6 or newer)";
	case -EMFILE:
	case -ENFILE:
		return "no file descriptor left for the ring; raise 'ulimit -n'";
	default:
		return "io_uring_setup failed";
	}
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
	entries = p && p->entries ? p->entries : RC_DEFAULT_ENTRIES;
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
	ret = rc_buf_strategy_start(r, p);
	if (ret)
		goto err;
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

unsigned rc_ring_queued(const struct rc_ring *r)
{
	return r->queued.count;
}

unsigned rc_rings_leaked(void)
{
	return rc_leaked_count;
}

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

/* Reap every CQE that is there, without waiting. Returns how many. */
static int rc_ring_reap(struct rc_ring *r)
{
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;

	io_uring_for_each_cqe(&r->uring, head, cqe) {
		rc_ring_handle_cqe(r, cqe);
		n++;
	}
	io_uring_cq_advance(&r->uring, n);
	return (int)n;
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

/* A queued chain that can never fit in the SQ: every op gets -EINVAL. */
static void rc_ring_fail_chain(struct rc_ring *r, struct rc_op *op)
{
	bool linked = true;

	while (op && linked) {
		struct rc_op *next = op->next;

		linked = op->sqe_flags & RC_LINK_FLAGS;
		rc_list_del(&r->queued, op);
		op->res = -EINVAL;
		op->state = RC_OP_READY;
		rc_list_push(&r->ready, op);
		op = next;
	}
}

/*
 * Write the SQEs of every queued op, submitting only when the SQ is full.
 * A linked chain is never split across two submissions.
 */
static int rc_ring_write_sqes(struct rc_ring *r)
{
	struct rc_op *op, *o;
	int ret;

	unsigned stuck = 0;

	while ((op = r->queued.head)) {
		unsigned need = 0;

		for (o = op; o; o = o->next) {
			need += o->link_timeout_ns ? 2 : 1;
			if (!(o->sqe_flags & RC_LINK_FLAGS))
				break;
		}
		if (need > r->uring.sq.ring_entries) {
			rc_ring_fail_chain(r, op);	/* can never fit */
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

	if (ret < 0)
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
	if (ret < 0)
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
	rc_trace(r, RC_EV_DELIVER, op, op->buf, op->buf_size, op->res);
	return op;
}

void rc_op_complete(struct rc_ring *r, struct rc_op *op)
{
	rc_list_del(&r->inflight, op);
	op->owner &= (uint8_t)~RC_OWNER_KERNEL;
	rc_trace(r, RC_EV_CQE, op, op->buf, op->buf_size, op->res);
	if (op->owner & RC_OWNER_APP) {
		op->state = RC_OP_READY;
		rc_list_push(&r->ready, op);
	} else {
		rc_op_halt_and_release(op);
	}
}

static void rc_ring_stale_cqe(struct rc_ring *r, struct rc_op *op,
			      const struct io_uring_cqe *cqe)
{
	r->stats.stale_cqes++;
	rc_trace(r, RC_EV_STALE_CQE, op, NULL, 0, cqe->res);
	fprintf(stderr, "ringcp: engine: ignored a stale CQE (user_data "
		"0x%llx, res %d): not meant for the record's current life\n",
		(unsigned long long)cqe->user_data, cqe->res);
}

/* The answer of an ASYNC_CANCEL: counted; releases a record in limbo. */
static void rc_ring_cancel_cqe(struct rc_ring *r, struct rc_op *op,
			       const struct io_uring_cqe *cqe)
{
	if (cqe->res == 0)
		r->stats.cancel_res_ok++;
	else if (cqe->res == -ENOENT)
		r->stats.cancel_res_enoent++;
	else if (cqe->res == -EALREADY)
		r->stats.cancel_res_ealready++;
	else
		r->stats.cancel_res_other++;
	op->cancel_res = cqe->res;
	op->cancels_pending--;
	r->cancels_pending--;
	rc_trace(r, RC_EV_CANCEL_CQE, op, NULL, 0, cqe->res);
#ifdef RC_MUTANT_CANCEL_TRUSTED
	/* MUTANT: "the cancel says it is over": released on its answer */
	if ((cqe->res == -ENOENT || cqe->res == -EALREADY) &&
	    op->state == RC_OP_INFLIGHT && !(op->owner & RC_OWNER_APP)) {
		rc_list_del(&r->inflight, op);
		op->owner &= (uint8_t)~RC_OWNER_KERNEL;
		rc_op_release(op);
		return;
	}
#endif
	if (op->state == RC_OP_FREE && !op->cancels_pending) {
		r->limbo--;
		rc_list_push(&r->free, op);
	}
}

/*
 * Act on one CQE.  Only a CQE whose address is one of our records, whose
 * generation is that record's current one, and that the record is waiting
 * for (its own CQE, its link timeout's, a cancel's answer) changes
 * anything; every other CQE is counted, traced and reported.
 */
void rc_ring_handle_cqe(struct rc_ring *r, const struct io_uring_cqe *cqe)
{
	uint64_t ud = cqe->user_data;
	uint64_t tag = ud & RC_UD_TAG_MASK;
	uint32_t gen = (uint32_t)(ud >> RC_UD_GEN_SHIFT);
	struct rc_op *op = (struct rc_op *)(uintptr_t)(ud & RC_UD_ADDR_MASK &
						       ~RC_UD_TAG_MASK);
	bool same_life;

	if (ud == LIBURING_UDATA_TIMEOUT)
		return;		/* liburing's own wait timeout */
	if (tag == RC_UD_TAG_CANCEL_FD && (void *)op == (void *)r &&
	    r->cancels_pending) {
		/* the answer of a cancel keyed on an fd: a count or -ENOENT */
		r->cancels_pending--;
		if (cqe->res > 0)
			r->stats.cancel_fd_matched += (uint64_t)cqe->res;
		rc_trace(r, RC_EV_CANCEL_CQE, NULL, NULL, 0, cqe->res);
		return;
	}
	if (!rc_ptrset_has(&r->records, op)) {
		r->stats.unknown_cqes++;
		rc_trace(r, RC_EV_UNKNOWN_CQE, NULL, NULL, 0, cqe->res);
		fprintf(stderr, "ringcp: engine: ignored a CQE that names no "
			"operation of this ring (user_data 0x%llx, res %d)\n",
			(unsigned long long)ud, cqe->res);
		return;
	}
	same_life = (op->gen & 0xffff) == gen;
	switch (tag) {
	case RC_UD_TAG_CANCEL:
		if (!same_life || !op->cancels_pending)
			break;
		rc_ring_cancel_cqe(r, op, cqe);
		return;
	case RC_UD_TAG_TIMEOUT:
		if (!same_life || op->state != RC_OP_INFLIGHT ||
		    !op->timeout_pending)
			break;
		r->stats.link_timeout_cqes++;
		op->timeout_pending = false;
		if (!--op->kernel_cqes)
			rc_op_complete(r, op);
		return;
	case RC_UD_TAG_OP:
#ifdef RC_MUTANT_STALE_CQE
		same_life = true;	/* MUTANT: the generation is not checked */
#endif
		if (!same_life || op->state != RC_OP_INFLIGHT ||
		    !(op->owner & RC_OWNER_KERNEL) ||
		    op->kernel_cqes == (op->timeout_pending ? 1 : 0))
			break;	/* not in flight, or its CQE already came */
		if (cqe->flags & IORING_CQE_F_MORE)
			return;	/* multishot: not the final CQE */
		r->stats.cqes++;
		op->cqe_user_data = ud;
		op->res = cqe->res;
		op->cqe_flags = cqe->flags;
		if (op->buf_select) {
			/* the ring buffer the kernel picked is the op's now,
			 * whatever became of the op (halt safety gives it
			 * back); none if it found the ring empty */
			rc_buf_attach_selected(r, op, cqe->flags);
			if (cqe->res == -ENOBUFS)
				r->stats.reads_nobufs++;
#ifdef RC_MUTANT_RING_EARLY_RECYCLE
			/* MUTANT: back into the ring at once, while the
			 * program still has to write its data out */
			if (op->buf)
				rc_buf_put(r, op->buf, op->buf_size);
#endif
		}
		if (!--op->kernel_cqes)
			rc_op_complete(r, op);
		return;
	default:
		break;
	}
	rc_ring_stale_cqe(r, op, cqe);
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
		if (fd < 0 || op->fd == fd) {
			rc_op_cancel(op);
			n++;
		}
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
	io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)r |
				RC_UD_TAG_CANCEL_FD);
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

int rc_ring_drain(struct rc_ring *r, int timeout_ms)
{
	uint64_t deadline = rc_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	int ret;

	/* the cancels' answers too, so every one is counted */
	while (r->inflight.count || r->queued.count || r->cancels_pending) {
		uint64_t now = rc_now_ns();
		int left_ms;

		if (timeout_ms >= 0 && now >= deadline)
			return -ETIMEDOUT;
		left_ms = timeout_ms < 0 ? 100 :
			  (int)((deadline - now) / 1000000ull) + 1;
		if (left_ms > 100)
			left_ms = 100;
		ret = rc_ring_wait(r, 1, left_ms);
		if (ret < 0 && ret != -ETIME && ret != -EINTR)
			return ret;
	}
	return 0;
}

/*
 * The proof that the kernel is done with the ring (liburing's
 * test/ring-leak.c): the write end of a pipe, registered as a fixed file,
 * is dropped only when the ring context is freed, which happens only after
 * every request of the ring has been freed.  So read() on the read end
 * returning EOF proves no request can touch our memory any more.
 * Exits the ring in every case.  Returns 0 or -ETIMEDOUT (or -errno if the
 * barrier could not be set up, in which case nothing is proven).
 */
static int rc_ring_exit_proven(struct rc_ring *r, int timeout_ms)
{
	struct pollfd pfd;
	int pipefd[2], ret;
	char c;

	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		ret = -errno;
		io_uring_queue_exit(&r->uring);
		r->uring_live = false;
		return ret;
	}
	ret = io_uring_register_files(&r->uring, &pipefd[1], 1);
	if (ret == -EBUSY) {	/* a table is registered already: replace it */
		io_uring_unregister_files(&r->uring);
		ret = io_uring_register_files(&r->uring, &pipefd[1], 1);
	}
	close(pipefd[1]);
	io_uring_queue_exit(&r->uring);
	r->uring_live = false;
	if (ret < 0) {
		close(pipefd[0]);
		return ret;
	}
	pfd.fd = pipefd[0];
	pfd.events = POLLIN;
	for (;;) {
		ret = poll(&pfd, 1, timeout_ms);
		if (ret < 0 && errno == EINTR)
			continue;
		break;
	}
	if (ret == 1 && read(pipefd[0], &c, 1) == 0)
		ret = 0;
	else
		ret = -ETIMEDOUT;
	close(pipefd[0]);
	return ret;
}

static void rc_ring_free_all(struct rc_ring *r)
{
	size_t i;

	for (i = 0; i < r->records.cap; i++) {
		struct rc_op *op = r->records.slots[i];

		if (!op)
			continue;
		if (op->buf)
			rc_buf_put(r, op->buf, op->buf_size);
		free(op->path);
		free(op);
	}
	rc_ptrset_free(&r->records);
	/* the kernel is done with the ring: its registered and provided
	 * buffers are ours again */
	rc_buf_strategy_stop(r);
	if (r->probe)
		io_uring_free_probe(r->probe);
	free(r);
}

int rc_ring_destroy(struct rc_ring *r, int timeout_ms)
{
	uint64_t start = rc_now_ns();
	int ret, left;

	if (!r)
		return 0;
#ifdef RC_MUTANT_FIXED_UNREGISTER
	if (r->strategy == &rc_buf_strategy_fixed)
		rc_buf_fixed_mutant_unregister(r->strategy_ctx);
#endif
#ifdef RC_MUTANT_CLOSE_THEN_FREE
	/* MUTANT: exit the ring and free at once, no drain, no proof */
	io_uring_queue_exit(&r->uring);
	r->uring_live = false;
	rc_ring_free_all(r);
	return 0;
#endif
	rc_ring_cancel_all(r);
	ret = rc_ring_drain(r, timeout_ms);
	left = timeout_ms;
	if (timeout_ms >= 0) {
		left = timeout_ms - (int)((rc_now_ns() - start) / 1000000ull);
		if (left < 100)
			left = 100;
	}
	/* exit and prove even after a failed drain: the proof is enough */
	ret = rc_ring_exit_proven(r, left);
	if (ret == 0) {
		rc_ring_free_all(r);
		return 0;
	}
	if (ret == -ETIMEDOUT)
		fprintf(stderr, "ringcp: engine: the kernel did not release "
			"the ring within %d ms (%u operation(s) still in "
			"flight); leaking its records and buffers rather than "
			"freeing memory the kernel may still use\n",
			timeout_ms, r->inflight.count);
	else
		fprintf(stderr, "ringcp: engine: cannot prove the ring is "
			"gone (%s; %u operation(s) in flight); leaking its "
			"records and buffers\n", strerror(-ret),
			r->inflight.count);
	r->leaked_next = rc_leaked_rings;
	rc_leaked_rings = r;
	rc_leaked_count++;
	return ret == -ETIMEDOUT ? -ETIMEDOUT : ret;
}
