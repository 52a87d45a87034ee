/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"

static const char *const rh_violation_names[RH_VIOL__COUNT] = {
	[RH_VIOL_NONE] = "none",
	[RH_VIOL_FREE_WHILE_KERNEL] = "buffer freed while the kernel owns it",
	[RH_VIOL_DOUBLE_FREE] = "buffer freed twice",
	[RH_VIOL_SUBMIT_FREED] = "SQE built on a freed buffer",
	[RH_VIOL_SUBMIT_KERNEL] = "buffer lent to the kernel twice",
	[RH_VIOL_REUSE_WHILE_KERNEL] = "buffer reused while the kernel owns it",
	[RH_VIOL_CQE_NOT_IN_FLIGHT] = "CQE acted on for an op not in flight",
	[RH_VIOL_CQE_WRONG_LIFE] = "CQE of another generation acted on",
	[RH_VIOL_RELEASE_IN_FLIGHT] = "record recycled before its CQE",
	[RH_VIOL_OWNED_AT_EXIT] = "buffer still lent to the kernel at exit",
	[RH_VIOL_SQE_BAD_ADDRESS] = "SQE points outside its op's own memory",
	[RH_VIOL_KERNEL_FAULT] = "CQE -EFAULT: the kernel hit a guard page",
	[RH_VIOL_LATE_KERNEL_ACCESS] = "op completed into a quarantined buffer",
	[RH_VIOL_POISON_CHANGED] = "a freed buffer's poison was overwritten",
	[RH_VIOL_PROGRAM_TOUCH] = "the program touched a freed buffer",
	[RH_VIOL_CHECKSUM] = "destination differs from the source",
	[RH_VIOL_FD_LEAK] = "file descriptors leaked",
	[RH_VIOL_PROVIDE_KERNEL] = "buffer given to the buffer ring while the "
				   "kernel owns it",
	[RH_VIOL_SELECT_NOT_PROVIDED] = "a CQE picked a buffer that was not in "
					"the buffer ring",
	[RH_VIOL_RING_BUF_LOST] = "ring buffers never given back to the ring",
	[RH_VIOL_RECLAIM_IN_FLIGHT] = "buffer ring taken back while its reads "
				      "are in flight",
	[RH_VIOL_MEM_FREE_WHILE_KERNEL] = "a path or timespec given back "
					  "while the kernel owns it",
	[RH_VIOL_FD_CLOSED_IN_FLIGHT] = "an fd closed while a request in "
					"flight names it",
	[RH_VIOL_RELEASE_BEFORE_COMPLETE] = "memory given back before the "
					    "kernel completed its request",
	[RH_VIOL_DUP_USER_DATA] = "two requests in flight with one user_data",
	[RH_VIOL_NOT_REAPED] = "a kernel completion not reaped exactly once",
	[RH_VIOL_FOREIGN_CQE] = "a CQE acted on that the kernel posted for "
				"another request",
	[RH_VIOL_COMPLETE_AFTER_FREE] = "a request completed after its ring's "
					"memory was given back",
	[RH_VIOL_WITNESS_LOST] = "the kernel dropped trace events",
};

const char *rh_violation_name(enum rh_violation_kind k)
{
	return k < RH_VIOL__COUNT ? rh_violation_names[k] : "?";
}

/* The entry of buffer addr, created (FREE) if new; NULL on ENOMEM. */
static struct rh_ledger_buf *rh_ledger_buf(struct rh_ledger *l,
					   const void *addr, bool create)
{
	struct rh_ledger_buf *b = rc_hmap_get(&l->bufs, rc_hkey_ptr(addr));

	if (b || !create)
		return b;
	b = calloc(1, sizeof(*b));
	if (!b || rc_hmap_put(&l->bufs, rc_hkey_ptr(addr), b)) {
		free(b);
		return NULL;
	}
	b->addr = addr;
	b->state = RH_BUF_FREE;
	l->buffers_seen++;
	return b;
}

static struct rh_ledger_op *rh_ledger_op(struct rh_ledger *l,
					 const struct rc_op *op, bool create)
{
	struct rh_ledger_op *o = rc_hmap_get(&l->ops, rc_hkey_ptr(op));

	if (o || !create)
		return o;
	o = calloc(1, sizeof(*o));
	if (!o || rc_hmap_put(&l->ops, rc_hkey_ptr(op), o)) {
		free(o);
		return NULL;
	}
	o->op = op;
	return o;
}

/* Free every value of m, then m's table. */
static void rh_ledger_free_map(struct rc_hmap *m)
{
	size_t i = 0;
	void *v;

	while ((v = rc_hmap_next(m, &i)))
		free(v);
	rc_hmap_free(m);
}

void rh_ledger_init(struct rh_ledger *l)
{
	memset(l, 0, sizeof(*l));
}

void rh_ledger_free(struct rh_ledger *l)
{
	rh_ledger_free_map(&l->bufs);
	rh_ledger_free_map(&l->ops);
	rh_ledger_free_map(&l->mems);
	rh_ledger_free_map(&l->fds);
	memset(l, 0, sizeof(*l));
}

/* The counter of ring's buffer-select reads in flight (NULL if full). */
static unsigned *rh_ledger_selects(struct rh_ledger *l, const void *ring)
{
	struct rh_ledger_ring *free_slot = NULL;
	size_t i;

	for (i = 0; i < RH_LEDGER_RINGS; i++) {
		if (l->rings[i].ring == ring)
			return &l->rings[i].selects_in_flight;
		if (!free_slot && !l->rings[i].selects_in_flight)
			free_slot = &l->rings[i];
	}
	if (!free_slot)
		return NULL;
	free_slot->ring = ring;
	return &free_slot->selects_in_flight;
}

static enum rh_violation_kind rh_ledger_submit(struct rh_ledger *l,
					       const struct rc_op *op)
{
	struct rh_ledger_op *o = rh_ledger_op(l, op, true);
	struct rh_ledger_buf *b;

	l->submits++;
	if (!o)
		return RH_VIOL_NONE;
	if (op->buf_select && !o->in_flight) {
		unsigned *n = rh_ledger_selects(l, op->ring);

		if (n) {
			++*n;
			o->select_ring = op->ring;
		}
	}
	o->in_flight = true;
	o->ring = op->ring;
	o->buf = op->buf;
	o->buf_size = op->buf_size;
	o->user_data = rc_op_user_data(op, RC_UD_OP);
	if (!op->buf)
		return RH_VIOL_NONE;
	b = rh_ledger_buf(l, op->buf, true);
	if (!b)
		return RH_VIOL_NONE;
	if (b->state == RH_BUF_KERNEL && b->op != op)
		return RH_VIOL_SUBMIT_KERNEL;
	if (b->state == RH_BUF_FREE && b->size)	/* known, and freed */
		return RH_VIOL_SUBMIT_FREED;
	if (!b->size)
		b->size = op->buf_size;	/* memory the caller brought */
	b->state = RH_BUF_KERNEL;
	b->op = op;
	b->ring = op->ring;
	b->lent = true;
	return RH_VIOL_NONE;
}

static struct rc_hkey rh_fd_key(int fd)
{
	return (struct rc_hkey){ (uint64_t)(unsigned)fd, 1 };
}

/* The requests in flight that name fd: their entry, created if asked. */
static struct rh_ledger_fd *rh_ledger_fd(struct rh_ledger *l, int fd,
					 bool create)
{
	struct rh_ledger_fd *f = rc_hmap_get(&l->fds, rh_fd_key(fd));

	if (f || !create)
		return f;
	f = calloc(1, sizeof(*f));
	if (f && rc_hmap_put(&l->fds, rh_fd_key(fd), f)) {
		free(f);
		f = NULL;
	}
	return f;
}

/* The kernel takes (lend) or gives back (!lend) the memory of a range. */
static void rh_ledger_mem(struct rh_ledger *l, const struct rc_op *op,
			  const void *addr, size_t len, enum rh_mem_kind kind,
			  bool lend)
{
	struct rh_ledger_mem *m = rc_hmap_get(&l->mems, rc_hkey_ptr(addr));

	if (!lend) {
		if (m && m->op == op)
			free(rc_hmap_del(&l->mems, rc_hkey_ptr(addr)));
		return;
	}
	if (!m) {
		m = calloc(1, sizeof(*m));
		if (!m || rc_hmap_put(&l->mems, rc_hkey_ptr(addr), m)) {
			free(m);
			return;
		}
	}
	m->addr = addr;
	m->len = len;
	m->kind = kind;
	m->op = op;
}

/* op's CQE (or its record's end): its paths and fds are given back. */
static void rh_ledger_refs_back(struct rh_ledger *l, struct rh_ledger_op *o)
{
	struct rh_ledger_fd *f;
	unsigned i;

	if (!o->refs_live)
		return;
	o->refs_live = false;
	for (i = 0; i < o->refs.nranges; i++)
		if (o->refs.range[i].kind == RH_MEM_PATH ||
		    o->refs.range[i].kind == RH_MEM_PATH2)
			rh_ledger_mem(l, o->op, o->refs.range[i].addr, 0, 0,
				      false);
	for (i = 0; i < o->refs.nfds; i++) {
		f = rh_ledger_fd(l, o->refs.fd[i], false);
		if (f && f->count)
			f->count--;
	}
}

enum rh_violation_kind rh_ledger_sqe(struct rh_ledger *l,
				     const struct rc_op *op,
				     const struct io_uring_sqe *sqe,
				     const struct rc_op **other)
{
	struct rh_ledger_op *o = rh_ledger_op(l, op, true);
	struct rh_ledger_fd *f;
	struct rh_sqe_refs r;
	unsigned i;

	rh_sqe_refs(sqe, &r);
	if (r.closes >= 0) {
		f = rh_ledger_fd(l, r.closes, false);
		if (f && f->count) {
			*other = f->op;
			return RH_VIOL_FD_CLOSED_IN_FLIGHT;
		}
	}
	if (!o)
		return RH_VIOL_NONE;
	if (sqe->opcode == IORING_OP_LINK_TIMEOUT) {
		o->ts = r.range[0].addr;
		rh_ledger_mem(l, op, r.range[0].addr, r.range[0].len,
			      RH_MEM_TIMESPEC, true);
		return RH_VIOL_NONE;
	}
	rh_ledger_refs_back(l, o);	/* (a life that never saw its CQE) */
	o->refs = r;
	o->refs_live = true;
	for (i = 0; i < r.nranges; i++)
		if (r.range[i].kind == RH_MEM_PATH ||
		    r.range[i].kind == RH_MEM_PATH2)
			rh_ledger_mem(l, op, r.range[i].addr, r.range[i].len,
				      r.range[i].kind, true);
	for (i = 0; i < r.nfds; i++) {
		f = rh_ledger_fd(l, r.fd[i], true);
		if (f) {
			f->count++;
			f->op = op;
		}
	}
	return RH_VIOL_NONE;
}

enum rh_violation_kind rh_ledger_close(struct rh_ledger *l, int fd,
				       const struct rc_op **by)
{
	struct rh_ledger_fd *f = rh_ledger_fd(l, fd, false);

	if (!f || !f->count)
		return RH_VIOL_NONE;
	*by = f->op;
	return RH_VIOL_FD_CLOSED_IN_FLIGHT;
}

/* op's request is over (its CQE, or its ring proven gone): the kernel
 * gives back its buffer, paths and fds. */
static void rh_ledger_op_done(struct rh_ledger *l, struct rh_ledger_op *o)
{
	struct rh_ledger_buf *b;

	o->in_flight = false;
	if (o->select_ring) {
		unsigned *n = rh_ledger_selects(l, o->select_ring);

		if (n && *n)
			--*n;
		o->select_ring = NULL;
	}
	if (o->buf) {
		b = rh_ledger_buf(l, o->buf, false);
		if (b && b->state == RH_BUF_KERNEL && b->op == o->op)
			b->state = RH_BUF_APP;
	}
	rh_ledger_refs_back(l, o);
}

static enum rh_violation_kind rh_ledger_cqe(struct rh_ledger *l,
					    const struct rc_op *op)
{
	struct rh_ledger_op *o = rh_ledger_op(l, op, false);

	if (!o || !o->in_flight)
		return RH_VIOL_CQE_NOT_IN_FLIGHT;
	if (op->cqe_user_data != o->user_data)
		return RH_VIOL_CQE_WRONG_LIFE;	/* stays in flight */
	l->cqes++;
	rh_ledger_op_done(l, o);
	return RH_VIOL_NONE;
}

/*
 * The ring is proven gone (teardown's barrier): every request it had in
 * flight is over, CQE or not, and so are their timeouts' timespecs.
 */
static void rh_ledger_ring_proven(struct rh_ledger *l, const void *ring)
{
	struct rh_ledger_op *o;
	size_t i = 0;

	while ((o = rc_hmap_next(&l->ops, &i))) {
		if (o->ring != ring)
			continue;
		if (o->in_flight)
			rh_ledger_op_done(l, o);
		if (o->ts) {
			rh_ledger_mem(l, o->op, o->ts, 0, 0, false);
			o->ts = NULL;
		}
	}
}

static enum rh_violation_kind rh_ledger_put(struct rh_ledger *l,
					    const void *buf, size_t len)
{
	struct rh_ledger_buf *b = rh_ledger_buf(l, buf, true);
	enum rh_buf_state was;

	l->frees++;
	if (!b)
		return RH_VIOL_NONE;
	was = (enum rh_buf_state)b->state;
	if (!b->size)
		b->size = len;
	b->state = RH_BUF_FREE;
	b->op = NULL;
	if (was == RH_BUF_KERNEL)
		return RH_VIOL_FREE_WHILE_KERNEL;
	if (was == RH_BUF_FREE)
		return RH_VIOL_DOUBLE_FREE;
	if (b->lent)
		l->frees_after_cqe++;
	else
		l->frees_never_lent++;
	b->lent = false;
	return RH_VIOL_NONE;
}

enum rh_violation_kind rh_ledger_event(struct rh_ledger *l,
				       enum rc_trace_event ev,
				       const struct rc_op *op, const void *buf,
				       size_t len, int64_t res)
{
	struct rh_ledger_buf *b;
	struct rh_ledger_op *o;

	switch (ev) {
	case RC_EV_BUF_GET:
		b = rh_ledger_buf(l, buf, true);
		if (!b)
			return RH_VIOL_NONE;
		if (b->state == RH_BUF_KERNEL)
			return RH_VIOL_REUSE_WHILE_KERNEL;
		b->state = RH_BUF_APP;
		b->size = len;
		b->lent = false;
		return RH_VIOL_NONE;
	case RC_EV_BUF_PUT:
		return rh_ledger_put(l, buf, len);
	case RC_EV_SUBMIT:
		return rh_ledger_submit(l, op);
	case RC_EV_CQE:
		return rh_ledger_cqe(l, op);
	case RC_EV_BUF_PROVIDE:
		/* into the kernel's buffer ring: any read may fill it now */
		b = rh_ledger_buf(l, buf, true);
		if (!b)
			return RH_VIOL_NONE;
		if (b->state == RH_BUF_KERNEL)
			return RH_VIOL_PROVIDE_KERNEL;
		b->state = RH_BUF_KERNEL;
		b->op = NULL;
		b->ring = (const void *)(uintptr_t)res;
		b->size = len;
		b->lent = true;
		return RH_VIOL_NONE;
	case RC_EV_BUF_RECLAIM:
		/* only once the ring is gone: no read may pick it any more
		 * (res carries the ring) */
		o = NULL;
		{
			const void *ring = (const void *)(uintptr_t)res;
			size_t i;

			for (i = 0; i < RH_LEDGER_RINGS; i++)
				if (l->rings[i].ring == ring &&
				    l->rings[i].selects_in_flight) {
					b = rh_ledger_buf(l, buf, true);
					if (b)
						b->state = RH_BUF_APP;
					return RH_VIOL_RECLAIM_IN_FLIGHT;
				}
		}
		/* fall through */
		__attribute__((fallthrough));
	case RC_EV_BUF_SELECT:
		/* out of the ring: picked for op's read, or taken back once
		 * the ring is proven gone */
		b = rh_ledger_buf(l, buf, true);
		if (!b)
			return RH_VIOL_NONE;
		if (b->state != RH_BUF_KERNEL || b->op) {
			b->state = RH_BUF_APP;
			return RH_VIOL_SELECT_NOT_PROVIDED;
		}
		b->state = RH_BUF_APP;
		return RH_VIOL_NONE;
	case RC_EV_BUF_LOST:
		return RH_VIOL_RING_BUF_LOST;
	case RC_EV_RELEASE:
		o = rh_ledger_op(l, op, false);
		if (o && o->in_flight)
			return RH_VIOL_RELEASE_IN_FLIGHT;
		if (o && o->ts && rc_hmap_get(&l->mems, rc_hkey_ptr(o->ts))) {
			/* its timespec, inside the record, still lent */
			rh_ledger_mem(l, op, o->ts, 0, 0, false);
			o->ts = NULL;
			return RH_VIOL_MEM_FREE_WHILE_KERNEL;
		}
		return RH_VIOL_NONE;
	case RC_EV_TIMEOUT_CQE:
		o = rh_ledger_op(l, op, false);
		if (o && o->ts) {
			rh_ledger_mem(l, op, o->ts, 0, 0, false);
			o->ts = NULL;
		}
		return RH_VIOL_NONE;
	case RC_EV_RING_PROVEN:
		rh_ledger_ring_proven(l, buf);
		return RH_VIOL_NONE;
	case RC_EV_MEM_PUT:
		if (rc_hmap_get(&l->mems, rc_hkey_ptr(buf)))
			return RH_VIOL_MEM_FREE_WHILE_KERNEL;
		return RH_VIOL_NONE;
	default:
		return RH_VIOL_NONE;
	}
}

const struct rh_ledger_buf *rh_ledger_find_buf(const struct rh_ledger *l,
					       const void *addr)
{
	const struct rh_ledger_buf *b;
	size_t i = 0;

	/* exact base first (cheap), then a containing buffer (slow scan) */
	b = rc_hmap_get(&l->bufs, rc_hkey_ptr(addr));
	if (b)
		return b;
	while ((b = rc_hmap_next(&l->bufs, &i)))
		if ((const char *)addr >= (const char *)b->addr &&
		    (const char *)addr < (const char *)b->addr + b->size)
			return b;
	return NULL;
}

enum rh_buf_state rh_ledger_state(const struct rh_ledger *l, const void *addr)
{
	const struct rh_ledger_buf *b = rh_ledger_find_buf(l, addr);

	return b ? (enum rh_buf_state)b->state : RH_BUF_FREE;
}

size_t rh_ledger_kernel_owned(const struct rh_ledger *l)
{
	const struct rh_ledger_buf *b;
	size_t i = 0, n = 0;

	while ((b = rc_hmap_next(&l->bufs, &i)))
		n += b->state == RH_BUF_KERNEL;
	return n;
}

size_t rh_ledger_kernel_owned_but(const struct rh_ledger *l,
				  const struct rc_hmap *leaked, size_t *kept)
{
	const struct rh_ledger_buf *b;
	size_t i = 0, n = 0;

	*kept = 0;
	while ((b = rc_hmap_next(&l->bufs, &i))) {
		if (b->state != RH_BUF_KERNEL)
			continue;
		if (b->ring && rc_hmap_get(leaked, rc_hkey_ptr(b->ring)))
			++*kept;
		else
			n++;
	}
	return n;
}

unsigned rh_ledger_fds_named(const struct rh_ledger *l)
{
	const struct rh_ledger_fd *f;
	size_t i = 0;
	unsigned n = 0;

	while ((f = rc_hmap_next(&l->fds, &i)))
		n += f->count > 0;
	return n;
}

const struct rh_ledger_op *rh_ledger_find_op(const struct rh_ledger *l,
					     const struct rc_op *op)
{
	return rc_hmap_get(&l->ops, rc_hkey_ptr(op));
}
