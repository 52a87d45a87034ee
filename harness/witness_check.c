/* SPDX-License-Identifier: MIT */
/*
 * The witness's detectors (witness.h): one sweep, in time order, over the
 * program's log and the kernel's events together.
 *
 * A request's window opens when the program writes its SQE (from then on
 * the kernel may read it) and closes at the kernel's io_uring_complete of
 * the request that SQE became (the first io_uring_submit_req with that
 * user_data after the SQE was written).  While a window is open, the
 * memory its SQE points at must not be given back and the fds it names
 * must not be closed.  The kernel's completions of each ring must be
 * reaped once each, in order; a CQE the engine acts on as an op's own
 * must be the completion of the request its current life's SQE became.
 * No request may complete in a ring whose memory was given back.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ringcp/hmap.h"
#include "ringcp/ring.h"
#include "ledger.h"
#include "witness.h"

#define RH_PAGE_SHIFT 12

/* A request: an SQE the program wrote and what the kernel did with it
 * (or, sqe NULL, a request the kernel saw and the program did not log). */
struct rh_win {
	const struct rh_uev *sqe;
	struct rh_inst *in;
	uint64_t ud, req;
	uint64_t t_comp;
	int32_t res;
	bool submitted, completed, active;
	struct rh_win *next;		/* pending list, or completion FIFO */
};

/* A ring instance: one io_uring_create of ours, until the next create of
 * the same ctx address. */
struct rh_inst {
	uint64_t ctx;
	const void *ring;		/* the program's rc_ring */
	uint64_t freed_at;		/* RING_FREE, 0 if never */
	uint64_t last_reap;		/* time of its last REAP */
	struct rc_hmap inflight;	/* ud -> window in the kernel */
	struct rc_hmap by_req;		/* req -> window in the kernel */
	struct rc_hmap pending;		/* ud -> first window awaiting its
					 * submit (linked on ->next) */
	struct rc_hmap popped;		/* ud -> window last reaped */
	struct rh_win *fifo_head, *fifo_tail;	/* completed, not reaped */
	struct rh_inst *all_next;
};

/* Windows open on a page / naming an fd. */
struct rh_list {
	struct rh_win **w;
	unsigned n, cap;
};

struct rh_sweep {
	rh_witness_report_fn report;
	void *arg;
	uint64_t violations;
	struct rh_witness_stats *st;
	struct rc_hmap tids;		/* our threads */
	struct rc_hmap ctx_inst;	/* ctx -> current instance (ours) or
					 * &foreign */
	struct rc_hmap ring_inst;	/* rc_ring -> its instance */
	struct rc_hmap pages;		/* page -> struct rh_list (open) */
	struct rc_hmap fds;		/* fd -> struct rh_list (open) */
	struct rh_inst *insts;
	struct rh_win **wins;		/* every window, to free */
	size_t nwins, capwins;
};

static struct rh_inst rh_foreign;

static void rh_violate(struct rh_sweep *s, enum rh_violation_kind kind,
		       const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void rh_violate(struct rh_sweep *s, enum rh_violation_kind kind,
		       const char *fmt, ...)
{
	char detail[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	s->violations++;
	s->report(s->arg, kind, detail);
}

static struct rc_hkey rh_key(uint64_t a)
{
	return (struct rc_hkey){ a, 0 };
}

static struct rh_list *rh_list_of(struct rc_hmap *m, uint64_t key, bool create)
{
	struct rh_list *l = rc_hmap_get(m, rh_key(key));

	if (l || !create)
		return l;
	l = calloc(1, sizeof(*l));
	if (l && rc_hmap_put(m, rh_key(key), l)) {
		free(l);
		l = NULL;
	}
	return l;
}

static void rh_list_add(struct rh_list *l, struct rh_win *w)
{
	if (l->n == l->cap) {
		unsigned cap = l->cap ? l->cap * 2 : 4;
		struct rh_win **n = realloc(l->w, cap * sizeof(*n));

		if (!n)
			return;
		l->w = n;
		l->cap = cap;
	}
	l->w[l->n++] = w;
}

static void rh_list_del(struct rh_list *l, struct rh_win *w)
{
	unsigned i;

	for (i = 0; l && i < l->n; i++)
		if (l->w[i] == w) {
			l->w[i] = l->w[--l->n];
			return;
		}
}

static void rh_free_lists(struct rc_hmap *m)
{
	struct rh_list *l;
	size_t i = 0;

	while ((l = rc_hmap_next(m, &i))) {
		free(l->w);
		free(l);
	}
	rc_hmap_free(m);
}

static struct rh_win *rh_win_new(struct rh_sweep *s, struct rh_inst *in,
				 const struct rh_uev *sqe, uint64_t ud)
{
	struct rh_win *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	if (s->nwins == s->capwins) {
		size_t cap = s->capwins ? s->capwins * 2 : 4096;
		struct rh_win **n = realloc(s->wins, cap * sizeof(*n));

		if (!n) {
			free(w);
			return NULL;
		}
		s->wins = n;
		s->capwins = cap;
	}
	s->wins[s->nwins++] = w;
	w->in = in;
	w->sqe = sqe;
	w->ud = ud;
	return w;
}

/* The window's memory and fds are the kernel's (open) or given back. */
static void rh_win_open(struct rh_sweep *s, struct rh_win *w, bool open)
{
	const struct rh_sqe_refs *r;
	unsigned i;

	if (!w->sqe || w->active == open)
		return;
	w->active = open;
	r = &w->sqe->refs;
	for (i = 0; i < r->nranges; i++) {
		uint64_t page = (uintptr_t)r->range[i].addr >> RH_PAGE_SHIFT;
		struct rh_list *l = rh_list_of(&s->pages, page, open);

		if (open && l)
			rh_list_add(l, w);
		else if (!open)
			rh_list_del(l, w);
	}
	for (i = 0; i < r->nfds; i++) {
		struct rh_list *l = rh_list_of(&s->fds, (uint64_t)r->fd[i],
					       open);

		if (open && l)
			rh_list_add(l, w);
		else if (!open)
			rh_list_del(l, w);
	}
}

static const char *rh_ev_what(const struct rh_win *w)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "opcode %u, user_data 0x%" PRIx64,
		 w->sqe ? w->sqe->opcode : 0u, w->ud);
	return buf;
}

/* ---- the program's log ---- */

void rh_ulog_add(struct rh_ulog *l, struct rh_uev *ev)
{
	static __thread pid_t tid;

	if (!tid)
		tid = gettid();
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 65536;
		struct rh_uev *n = realloc(l->ev, cap * sizeof(*n));

		if (!n) {
			l->oom = true;
			return;
		}
		l->ev = n;
		l->cap = cap;
	}
	ev->ts = rc_now_ns();
	ev->tid = tid;
	l->ev[l->n++] = *ev;
}

void rh_ulog_free(struct rh_ulog *l)
{
	free(l->ev);
	memset(l, 0, sizeof(*l));
}

/* ---- the program's events ---- */

static void rh_u_ring_create(struct rh_sweep *s, const struct rh_uev *u,
			     const struct rh_kev *k, size_t nk, size_t kpos)
{
	struct rh_inst *in = NULL;
	size_t i;

	/* the kernel's create of this fd, by one of our threads, before */
	for (i = kpos; i-- > 0;) {
		if (k[i].kind != RH_K_CREATE || k[i].val != u->fd ||
		    !rc_hmap_get(&s->tids, rh_key((uint64_t)k[i].pid)))
			continue;
		in = rc_hmap_get(&s->ctx_inst, rh_key(k[i].ctx));
		break;
	}
	(void)nk;
	if (!in || in == &rh_foreign)
		return;		/* not seen: its events cannot be checked */
	in->ring = u->ring;
	rc_hmap_put(&s->ring_inst, rc_hkey_ptr(u->ring), in);
}

static struct rh_inst *rh_inst_of_ring(struct rh_sweep *s, const void *ring)
{
	return ring ? rc_hmap_get(&s->ring_inst, rc_hkey_ptr(ring)) : NULL;
}

static void rh_u_sqe(struct rh_sweep *s, const struct rh_uev *u)
{
	struct rh_inst *in = rh_inst_of_ring(s, u->ring);
	struct rh_win *w, *p;

	if (!in)
		return;
	w = rh_win_new(s, in, u, u->ud);
	if (!w)
		return;
	p = rc_hmap_get(&in->pending, rh_key(u->ud));
	if (!p) {
		rc_hmap_put(&in->pending, rh_key(u->ud), w);
	} else {
		while (p->next)
			p = p->next;
		p->next = w;
	}
	rh_win_open(s, w, true);
}

static void rh_u_release(struct rh_sweep *s, const struct rh_uev *u)
{
	uint64_t a = (uintptr_t)u->addr, e = a + (u->len ? u->len : 1);
	uint64_t page;
	unsigned i;

	s->st->releases_checked++;
	for (page = a >> RH_PAGE_SHIFT; page <= (e - 1) >> RH_PAGE_SHIFT;
	     page++) {
		struct rh_list *l = rh_list_of(&s->pages, page, false);

		for (i = 0; l && i < l->n; i++) {
			const struct rh_sqe_refs *r = &l->w[i]->sqe->refs;
			unsigned j;

			for (j = 0; j < r->nranges; j++) {
				uint64_t ra = (uintptr_t)r->range[j].addr;

				if (ra >> RH_PAGE_SHIFT != page ||
				    ra >= e || ra + r->range[j].len <= a)
					continue;
				rh_violate(s, RH_VIOL_RELEASE_BEFORE_COMPLETE,
					   "%s %p given back while its request "
					   "(%s) had not completed in the "
					   "kernel",
					   rh_mem_kind_name(r->range[j].kind),
					   r->range[j].addr,
					   rh_ev_what(l->w[i]));
			}
		}
	}
}

/* An fd closed at this moment: no open window may name it. */
static void rh_fd_closed(struct rh_sweep *s, int fd, const char *how)
{
	struct rh_list *l = rh_list_of(&s->fds, (uint64_t)fd, false);

	s->st->closes_checked++;
	if (l && l->n)
		rh_violate(s, RH_VIOL_FD_CLOSED_IN_FLIGHT, "fd %d closed (%s) "
			   "while a request naming it (%s) was in the kernel",
			   fd, how, rh_ev_what(l->w[0]));
}

static void rh_u_reap(struct rh_sweep *s, const struct rh_uev *u)
{
	struct rh_inst *in = rh_inst_of_ring(s, u->ring);
	struct rh_win *w, *prev = NULL;
	unsigned depth = 0;

	if (!in)
		return;
	in->last_reap = u->ts;
	/* the CQ is in completion order: the head, or (stamps of the
	 * same instant) one of the next few */
	for (w = in->fifo_head; w && depth < 8; prev = w, w = w->next,
	     depth++)
		if (w->ud == u->ud && w->res == u->res)
			break;
	if (!w || depth == 8) {
		rh_violate(s, RH_VIOL_NOT_REAPED, "a CQE (user_data 0x%" PRIx64
			   ", res %d) reaped that no kernel completion of "
			   "the ring had posted", u->ud, u->res);
		return;
	}
	if (prev)
		prev->next = w->next;
	else
		in->fifo_head = w->next;
	if (in->fifo_tail == w)
		in->fifo_tail = prev;
	w->next = NULL;
	s->st->reaps_matched++;
	rc_hmap_put(&in->popped, rh_key(u->ud), w);
}

static void rh_u_acted(struct rh_sweep *s, const struct rh_uev *u)
{
	struct rh_inst *in = rh_inst_of_ring(s, u->ring);
	struct rh_win *w;

	if (!in)
		return;
	w = rc_hmap_get(&in->popped, rh_key(u->ud));
	if (!w || !w->sqe || w->sqe->op != u->op ||
	    w->sqe->ud != u->ud)
		rh_violate(s, RH_VIOL_FOREIGN_CQE, "op %p acted on a CQE "
			   "(user_data 0x%" PRIx64 ") that the kernel posted "
			   "for %s", u->op, u->ud,
			   !w ? "no request reaped" : !w->sqe ?
			   "a request the engine never wrote" :
			   "another op's (or another life's) request");
}

static void rh_u_ring_free(struct rh_sweep *s, const struct rh_uev *u)
{
	struct rh_inst *in = rh_inst_of_ring(s, u->ring);

	if (in)
		in->freed_at = u->ts;
}

/* ---- the kernel's events ---- */

static void rh_k_create(struct rh_sweep *s, const struct rh_kev *k)
{
	struct rh_inst *in;

	if (!rc_hmap_get(&s->tids, rh_key((uint64_t)k->pid))) {
		rc_hmap_put(&s->ctx_inst, rh_key(k->ctx), &rh_foreign);
		return;
	}
	in = calloc(1, sizeof(*in));
	if (!in)
		return;
	in->ctx = k->ctx;
	in->all_next = s->insts;
	s->insts = in;
	rc_hmap_put(&s->ctx_inst, rh_key(k->ctx), in);
	s->st->rings++;
}

static struct rh_inst *rh_inst_of_ctx(struct rh_sweep *s, uint64_t ctx)
{
	struct rh_inst *in = rc_hmap_get(&s->ctx_inst, rh_key(ctx));

	return in == &rh_foreign ? NULL : in;
}

static void rh_k_submit(struct rh_sweep *s, const struct rh_kev *k)
{
	struct rh_inst *in = rh_inst_of_ctx(s, k->ctx);
	struct rh_win *w, *dup;

	if (!in)
		return;
	s->st->requests++;
	w = rc_hmap_get(&in->pending, rh_key(k->ud));
	if (w) {
		if (w->next)
			rc_hmap_put(&in->pending, rh_key(k->ud), w->next);
		else
			rc_hmap_del(&in->pending, rh_key(k->ud));
		w->next = NULL;
		s->st->sqes_matched++;
	} else {
		w = rh_win_new(s, in, NULL, k->ud);	/* not the engine's */
		if (!w)
			return;
	}
	w->submitted = true;
	w->req = k->req;
	dup = rc_hmap_get(&in->inflight, rh_key(k->ud));
	if (dup)
		rh_violate(s, RH_VIOL_DUP_USER_DATA, "two requests in flight "
			   "with user_data 0x%" PRIx64 " (%s)", k->ud,
			   rh_ev_what(dup));
	rc_hmap_put(&in->inflight, rh_key(k->ud), w);
	rc_hmap_put(&in->by_req, rh_key(k->req), w);
}

static void rh_k_complete(struct rh_sweep *s, const struct rh_kev *k)
{
	struct rh_inst *in = rh_inst_of_ctx(s, k->ctx);
	struct rh_win *w;

	if (!in)
		return;
	w = rc_hmap_get(&in->by_req, rh_key(k->req));
	if (w && !w->completed && w->ud == k->ud) {
		rc_hmap_del(&in->by_req, rh_key(k->req));
		if (rc_hmap_get(&in->inflight, rh_key(k->ud)) == w)
			rc_hmap_del(&in->inflight, rh_key(k->ud));
	} else {
		/* a completion with no submission seen (a request the kernel
		 * made itself): still one CQE to reap */
		w = rh_win_new(s, in, NULL, k->ud);
		if (!w)
			return;
	}
	w->completed = true;
	w->t_comp = k->ts;
	w->res = k->val;
	if (in->freed_at)
		rh_violate(s, RH_VIOL_COMPLETE_AFTER_FREE, "a request (%s) "
			   "completed %.3f ms after its ring's memory was "
			   "given back", rh_ev_what(w),
			   (double)(k->ts - in->freed_at) / 1e6);
	if (w->sqe && w->sqe->refs.closes >= 0) {
		rh_win_open(s, w, false);	/* it does not name its own */
		rh_fd_closed(s, w->sqe->refs.closes, "IORING_OP_CLOSE");
	}
	rh_win_open(s, w, false);
	if (in->fifo_tail)
		in->fifo_tail->next = w;
	else
		in->fifo_head = w;
	in->fifo_tail = w;
}

static void rh_k_close(struct rh_sweep *s, const struct rh_kev *k)
{
	int fd;

	if (!rc_hmap_get(&s->tids, rh_key((uint64_t)k->pid)))
		return;
	s->st->events[k->kind]++;
	switch (k->kind) {
	case RH_K_CLOSE:
		rh_fd_closed(s, k->val, "close");
		break;
	case RH_K_DUP:
		rh_fd_closed(s, k->val, "dup2/dup3 onto it");
		break;
	default:	/* close_range: every open window's fd in range */
		for (fd = k->val; fd >= 0 && (uint32_t)fd <= k->aux &&
		     fd < 65536; fd++)
			if (rh_list_of(&s->fds, (uint64_t)fd, false))
				rh_fd_closed(s, fd, "close_range");
		break;
	}
}

static void rh_k_event(struct rh_sweep *s, const struct rh_kev *k)
{
	switch (k->kind) {
	case RH_K_CREATE:
		rh_k_create(s, k);
		break;
	case RH_K_SUBMIT:
		rh_k_submit(s, k);
		break;
	case RH_K_COMPLETE:
		rh_k_complete(s, k);
		break;
	case RH_K_CLOSE:
	case RH_K_DUP:
	case RH_K_CLOSE_RANGE:
		rh_k_close(s, k);
		return;		/* counted there, if ours */
	default:
		break;
	}
	if (k->kind != RH_K_CREATE && rh_inst_of_ctx(s, k->ctx))
		s->st->events[k->kind]++;
	else if (k->kind == RH_K_CREATE &&
		 rc_hmap_get(&s->tids, rh_key((uint64_t)k->pid)))
		s->st->events[k->kind]++;
}

static void rh_u_event(struct rh_sweep *s, const struct rh_uev *u,
		       const struct rh_kev *k, size_t nk, size_t kpos)
{
	switch (u->kind) {
	case RH_U_RING_CREATE:
		rh_u_ring_create(s, u, k, nk, kpos);
		break;
	case RH_U_SQE:
		rh_u_sqe(s, u);
		break;
	case RH_U_RELEASE:
		rh_u_release(s, u);
		break;
	case RH_U_REAP:
		rh_u_reap(s, u);
		break;
	case RH_U_ACTED:
		rh_u_acted(s, u);
		break;
	case RH_U_RING_FREE:
		rh_u_ring_free(s, u);
		break;
	default:	/* CLOSE: the kernel's own record is the one used */
		break;
	}
}

/* What is left at the end: completions never reaped before the ring's
 * last reap (a gap in the CQ). */
static void rh_sweep_end(struct rh_sweep *s)
{
	struct rh_inst *in;
	struct rh_win *w;

	for (in = s->insts; in; in = in->all_next)
		for (w = in->fifo_head; w; w = w->next)
			if (w->t_comp < in->last_reap)
				rh_violate(s, RH_VIOL_NOT_REAPED, "a kernel "
					   "completion (%s, res %d) was never "
					   "reaped though later ones were",
					   rh_ev_what(w), w->res);
}

static void rh_sweep_free(struct rh_sweep *s)
{
	struct rh_inst *in, *next;
	size_t i;

	for (in = s->insts; in; in = next) {
		next = in->all_next;
		rc_hmap_free(&in->inflight);
		rc_hmap_free(&in->by_req);
		rc_hmap_free(&in->pending);
		rc_hmap_free(&in->popped);
		free(in);
	}
	for (i = 0; i < s->nwins; i++)
		free(s->wins[i]);
	free(s->wins);
	rc_hmap_free(&s->tids);
	rc_hmap_free(&s->ctx_inst);
	rc_hmap_free(&s->ring_inst);
	rh_free_lists(&s->pages);
	rh_free_lists(&s->fds);
}

uint64_t rh_witness_check(const struct rh_uev *u, size_t nu,
			  const struct rh_kev *k, size_t nk,
			  struct rh_witness_stats *st,
			  rh_witness_report_fn report, void *arg)
{
	struct rh_sweep s = { .report = report, .arg = arg, .st = st };
	size_t i = 0, j = 0;
	int one = 1;

	rc_hmap_put(&s.tids, rh_key((uint64_t)getpid()), &one);
	for (i = 0; i < nu; i++)
		rc_hmap_put(&s.tids, rh_key((uint64_t)u[i].tid), &one);
	st->events_all = nk;
	/* merge: at equal stamps the kernel's event first (the program
	 * reacts to the kernel, never the other way round) */
	for (i = 0; i < nu || j < nk;) {
		if (j < nk && (i == nu || k[j].ts <= u[i].ts))
			rh_k_event(&s, &k[j++]);
		else
			rh_u_event(&s, &u[i++], k, nk, j);
	}
	rh_sweep_end(&s);
	rh_sweep_free(&s);
	return s.violations;
}
