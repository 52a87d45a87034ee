/* SPDX-License-Identifier: MIT */
/*
 * A release held against what the kernel may still use: the ranges and
 * fds of requests in flight (taken by the kernel, no CQE seen), orphans
 * of torn-down rings, and SQEs queued but not yet taken (they will be, at
 * the next submission).  The caller holds the lock and has read the CQs.
 */
#include "rk.h"

struct rk_qctx {
	const struct rk_release *rel;
	const struct io_uring_sqe *sqe;
	struct rk_ring *r;
	unsigned hits;
	bool hit;
};

static bool rk_hits(const struct rk_release *rel, uintptr_t lo, uintptr_t hi)
{
	return rel->lo < rel->hi && lo < rel->hi && rel->lo < hi;
}

static void rk_q_range(void *arg, const void *addr, size_t len,
		       enum rh_mem_kind kind, bool at_run)
{
	struct rk_qctx *c = arg;
	uintptr_t lo = (uintptr_t)addr;

	(void)at_run;
	if (c->hit || !rk_hits(c->rel, lo, lo + len))
		return;
	c->hit = true;
	rk_report(c->rel, NULL, c->sqe, c->r, "memory", lo, lo + len,
		  (int)kind);
}

static void rk_q_fd(void *arg, int fd)
{
	struct rk_qctx *c = arg;

	if (c->hit || !rk_fd_hit(c->rel, fd))
		return;
	c->hit = true;
	rk_report(c->rel, NULL, c->sqe, c->r, "fd", 0, 0, fd);
}

static void rk_q_sqe(struct rk_ring *r, const struct io_uring_sqe *sqe,
		     void *arg)
{
	static const struct rh_sqe_walker w = {
		.range = rk_q_range,
		.fd = rk_q_fd,
	};
	struct rk_qctx *c = arg;

	c->sqe = sqe;
	c->r = r;
	c->hit = false;
	rh_sqe_walk(sqe, &w, c);
	c->hits += c->hit;
}

/* Requests in flight that hold the released memory or fd. */
static unsigned rk_check_live(const struct rk_release *rel)
{
	struct rk_req *q;
	unsigned i, n = 0;

	for (q = rk.live; q; q = q->next) {
		if (rel->chain && q->chain == rel->chain)
			continue;	/* runs before the CLOSE */
		for (i = 0; i < q->nranges; i++) {
			struct rk_range *g = &q->range[i];

			if (!rk_hits(rel, g->lo, g->hi))
				continue;
			rk_report(rel, q, NULL, &rk.ring[q->ring], "memory",
				  g->lo, g->hi, g->kind);
			g->lo = g->hi = 0;	/* said once */
			n++;
			break;
		}
		for (i = 0; i < q->nfds; i++) {
			if (!rk_fd_hit(rel, q->fd[i]))
				continue;
			rk_report(rel, q, NULL, &rk.ring[q->ring], "fd", 0, 0,
				  q->fd[i]);
			q->fd[i] = -1;
			n++;
			break;
		}
	}
	return n;
}

unsigned rk_check(const struct rk_release *rel)
{
	struct rk_qctx c = { .rel = rel };
	unsigned n;
	int i;

	rk_shared_add(rk.sh, releases, 1);
	n = rk_check_live(rel);
	for (i = 0; i < rk.nrings; i++)
		rk_ring_each_queued(&rk.ring[i], rk_q_sqe, &c);
	n += c.hits;
	if (n)
		rk_shared_add(rk.sh, reports, n);
	return n;
}

unsigned rk_check_unregister(const struct rk_ring *r, const char *call)
{
	struct rk_req *q;
	unsigned n = 0;

	rk_shared_add(rk.sh, releases, 1);
	for (q = rk.live; q; q = q->next) {
		struct rk_release rel = { .call = call, .fd = 0,
					  .fd_last = -1 };

		if (&rk.ring[q->ring] != r || !q->nranges ||
		    (q->opcode != IORING_OP_READ_FIXED &&
		     q->opcode != IORING_OP_WRITE_FIXED))
			continue;
		rel.lo = q->range[0].lo;
		rel.hi = q->range[0].hi;
		rk_report(&rel, q, NULL, r, "memory", rel.lo, rel.hi,
			  q->range[0].kind);
		n++;
	}
	if (n)
		rk_shared_add(rk.sh, reports, n);
	return n;
}
