/* SPDX-License-Identifier: MIT */
/*
 * Draining and the proven teardown: cancel everything, reap until nothing
 * is in flight, exit the ring, wait for the proof that the kernel freed
 * it, and only then free.  Without the proof, leak and say so.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"

/* Rings whose teardown could not be proven: kept reachable, never freed. */
static struct rc_ring *rc_leaked_rings;
static unsigned rc_leaked_count;

unsigned rc_rings_leaked(void)
{
	return rc_leaked_count;
}

int rc_ring_drain(struct rc_ring *r, int timeout_ms)
{
	uint64_t deadline = rc_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	int ret;

	/* the cancels' answers too, so every one is counted */
	while (r->inflight.count || r->queued.count || r->cancels_pending) {
		uint64_t now = rc_now_ns();
		int left_ms;

		if (timeout_ms >= 0 && now >= deadline) {
			ret = -ETIMEDOUT;
			goto out;
		}
		left_ms = timeout_ms < 0 ? 100 :
			  (int)((deadline - now) / 1000000ull) + 1;
		if (left_ms > 100)
			left_ms = 100;
		ret = rc_ring_wait(r, 1, left_ms);
		if (ret < 0 && ret != -ETIME && ret != -EINTR)
			goto out;
	}
	ret = 0;
out:
	rc_trace(r, RC_EV_RING_DRAIN, NULL, r, 0, ret);
	return ret;
}

/*
 * Exit the ring, acting first on the completions already posted: after a
 * drain that failed they are the only news of what those ops did (an
 * openat's fd, a CLOSE that never ran: halt safety), and the CQ goes with
 * the ring.
 */
static void rc_ring_exit(struct rc_ring *r)
{
	rc_ring_reap(r);
	io_uring_queue_exit(&r->uring);
	r->uring_live = false;
	rc_trace(r, RC_EV_RING_EXIT, NULL, r, 0, 0);
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
		rc_ring_exit(r);
		return ret;
	}
	ret = io_uring_register_files(&r->uring, &pipefd[1], 1);
	if (ret == -EBUSY) {	/* a table is registered already: replace it */
		io_uring_unregister_files(&r->uring);
		ret = io_uring_register_files(&r->uring, &pipefd[1], 1);
	}
	close(pipefd[1]);
	rc_ring_exit(r);
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

/*
 * The kernel is proven done with the ring: free every record and what it
 * owns.  A record still in flight here had its CQE posted after the ring
 * exit began (or never): what it did is unknown, so nothing of it can be
 * accounted (an fd such an openat opened stays open).
 */
static void rc_ring_free_all(struct rc_ring *r)
{
	struct rc_op *op;
	size_t i = 0;

	rc_trace(r, RC_EV_RING_FREE, NULL, r, 0, 0);
	while ((op = rc_hmap_next(&r->records, &i))) {
		if (op->buf)
			rc_buf_put(r, op->buf, op->buf_size);
		free(op->path);
		free(op->path2);
		free(op);
	}
	rc_hmap_free(&r->records);
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
	rc_trace(r, RC_EV_RING_TEARDOWN, NULL, r, 0, timeout_ms);
#ifdef RC_TRACE
	/* negative controls: a strategy broken at teardown (mutant.h) */
	if (r->strategy->mutant_teardown)
		r->strategy->mutant_teardown(r->strategy_ctx);
#endif
#ifdef RC_MUTANT_CLOSE_THEN_FREE
	/* MUTANT: exit the ring and free at once, no drain, no proof */
	io_uring_queue_exit(&r->uring);
	r->uring_live = false;
	rc_trace(r, RC_EV_RING_EXIT, NULL, r, 0, 0);
	rc_ring_free_all(r);
	return 0;
#endif
	rc_ring_cancel_all(r);
	ret = rc_ring_drain(r, timeout_ms);
#ifdef RC_MUTANT_SKIP_BARRIER
	/* MUTANT: "the drain timed out: the ring is hopeless, free it" */
	if (ret == -ETIMEDOUT) {
		io_uring_queue_exit(&r->uring);
		r->uring_live = false;
		rc_trace(r, RC_EV_RING_EXIT, NULL, r, 0, 0);
		rc_ring_free_all(r);
		return ret;
	}
#endif
	left = timeout_ms;
	if (timeout_ms >= 0) {
		left = timeout_ms - (int)((rc_now_ns() - start) / 1000000ull);
		if (left < 100)
			left = 100;
	}
	/* exit and prove even after a failed drain: the proof is enough
	 * (the fallback has no kernel ring: nothing was left in flight, its
	 * exit is a no-op and proven at once) */
	if (r->sync) {
		rc_trace(r, RC_EV_RING_EXIT, NULL, r, 0, 0);
		ret = 0;
	} else {
		ret = rc_ring_exit_proven(r, left);
	}
	rc_trace(r, RC_EV_RING_PROVEN, NULL, r, 0, ret);
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
	rc_trace(r, RC_EV_RING_LEAK, NULL, r, 0, ret);
	r->leaked_next = rc_leaked_rings;
	rc_leaked_rings = r;
	rc_leaked_count++;
	return ret == -ETIMEDOUT ? -ETIMEDOUT : ret;
}

/* Rings exited at process exit without the proof: kept reachable. */
static struct rc_ring *rc_exit_rings;

int rc_ring_destroy_at_exit(struct rc_ring *r, int timeout_ms)
{
	if (!r)
		return 0;
	if (r->sync)
		return rc_ring_destroy(r, timeout_ms);
	rc_trace(r, RC_EV_RING_TEARDOWN, NULL, r, 0, timeout_ms);
	rc_ring_cancel_all(r);
	if (rc_ring_drain(r, timeout_ms) || r->inflight.count ||
	    r->queued.count)
		return rc_ring_destroy(r, timeout_ms);
	rc_ring_exit(r);
	r->leaked_next = rc_exit_rings;
	rc_exit_rings = r;
	return 0;
}
