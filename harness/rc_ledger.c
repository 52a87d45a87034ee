/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rc_ledger.h"

static const char *const rc_violation_names[RC_VIOL__COUNT] = {
	[RC_VIOL_NONE] = "none",
	[RC_VIOL_FREE_WHILE_KERNEL] = "buffer freed while the kernel owns it",
	[RC_VIOL_DOUBLE_FREE] = "buffer freed twice",
	[RC_VIOL_SUBMIT_FREED] = "SQE built on a freed buffer",
	[RC_VIOL_SUBMIT_KERNEL] = "buffer lent to the kernel twice",
	[RC_VIOL_REUSE_WHILE_KERNEL] = "buffer reused while the kernel owns it",
	[RC_VIOL_CQE_NOT_IN_FLIGHT] = "CQE acted on for an op not in flight",
	[RC_VIOL_CQE_WRONG_LIFE] = "CQE of another generation acted on",
	[RC_VIOL_RELEASE_IN_FLIGHT] = "record recycled before its CQE",
	[RC_VIOL_OWNED_AT_EXIT] = "buffer still lent to the kernel at exit",
	[RC_VIOL_SQE_BAD_ADDRESS] = "SQE points outside its op's own memory",
	[RC_VIOL_KERNEL_FAULT] = "CQE -EFAULT: the kernel hit a guard page",
	[RC_VIOL_LATE_KERNEL_ACCESS] = "op completed into a quarantined buffer",
	[RC_VIOL_POISON_CHANGED] = "a freed buffer's poison was overwritten",
	[RC_VIOL_PROGRAM_TOUCH] = "the program touched a freed buffer",
	[RC_VIOL_CHECKSUM] = "destination differs from the source",
	[RC_VIOL_FD_LEAK] = "file descriptors leaked",
	[RC_VIOL_PROVIDE_KERNEL] = "buffer given to the buffer ring while the "
				   "kernel owns it",
	[RC_VIOL_SELECT_NOT_PROVIDED] = "a CQE picked a buffer that was not in "
					"the buffer ring",
	[RC_VIOL_RING_BUF_LOST] = "ring buffers never given back to the ring",
	[RC_VIOL_RECLAIM_IN_FLIGHT] = "buffer ring taken back while its reads "
				      "are in flight",
};

const char *rc_violation_name(enum rc_violation_kind k)
{
	return k < RC_VIOL__COUNT ? rc_violation_names[k] : "?";
}

static size_t rc_hash_ptr(const void *p, size_t cap)
{
	uint64_t x = (uint64_t)(uintptr_t)p;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return (size_t)x & (cap - 1);
}

/* Find the slot of key in a table of entries whose first field is the key. */
#define RC_LEDGER_FIND(tab, cap, key, field)				\
	({								\
		size_t _i = rc_hash_ptr((key), (cap));			\
		while ((tab)[_i].field && (tab)[_i].field != (key))	\
			_i = (_i + 1) & ((cap) - 1);			\
		&(tab)[_i];						\
	})

static int rc_ledger_grow_bufs(struct rc_ledger *l)
{
	size_t cap = l->bufs_cap ? l->bufs_cap * 2 : 256, i;
	struct rc_ledger_buf *t = calloc(cap, sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (i = 0; i < l->bufs_cap; i++)
		if (l->bufs[i].addr)
			*RC_LEDGER_FIND(t, cap, l->bufs[i].addr, addr) =
				l->bufs[i];
	free(l->bufs);
	l->bufs = t;
	l->bufs_cap = cap;
	return 0;
}

static int rc_ledger_grow_ops(struct rc_ledger *l)
{
	size_t cap = l->ops_cap ? l->ops_cap * 2 : 256, i;
	struct rc_ledger_op *t = calloc(cap, sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (i = 0; i < l->ops_cap; i++)
		if (l->ops[i].op)
			*RC_LEDGER_FIND(t, cap, l->ops[i].op, op) = l->ops[i];
	free(l->ops);
	l->ops = t;
	l->ops_cap = cap;
	return 0;
}

/* The entry of buffer addr, created (FREE) if new; NULL on ENOMEM. */
static struct rc_ledger_buf *rc_ledger_buf(struct rc_ledger *l,
					   const void *addr, bool create)
{
	struct rc_ledger_buf *b;

	if (!l->bufs_cap) {
		if (!create || rc_ledger_grow_bufs(l))
			return NULL;
	}
	b = RC_LEDGER_FIND(l->bufs, l->bufs_cap, addr, addr);
	if (b->addr || !create)
		return b->addr ? b : NULL;
	if ((l->bufs_count + 1) * 2 > l->bufs_cap) {
		if (rc_ledger_grow_bufs(l))
			return NULL;
		b = RC_LEDGER_FIND(l->bufs, l->bufs_cap, addr, addr);
	}
	b->addr = addr;
	b->state = RC_BUF_FREE;
	l->bufs_count++;
	l->buffers_seen++;
	return b;
}

static struct rc_ledger_op *rc_ledger_op(struct rc_ledger *l,
					 const struct rc_op *op, bool create)
{
	struct rc_ledger_op *o;

	if (!l->ops_cap) {
		if (!create || rc_ledger_grow_ops(l))
			return NULL;
	}
	o = RC_LEDGER_FIND(l->ops, l->ops_cap, op, op);
	if (o->op || !create)
		return o->op ? o : NULL;
	if ((l->ops_count + 1) * 2 > l->ops_cap) {
		if (rc_ledger_grow_ops(l))
			return NULL;
		o = RC_LEDGER_FIND(l->ops, l->ops_cap, op, op);
	}
	o->op = op;
	l->ops_count++;
	return o;
}

void rc_ledger_init(struct rc_ledger *l)
{
	memset(l, 0, sizeof(*l));
}

void rc_ledger_free(struct rc_ledger *l)
{
	free(l->bufs);
	free(l->ops);
	memset(l, 0, sizeof(*l));
}

/* The counter of ring's buffer-select reads in flight (NULL if full). */
static unsigned *rc_ledger_selects(struct rc_ledger *l, const void *ring)
{
	struct rc_ledger_ring *free_slot = NULL;
	size_t i;

	for (i = 0; i < RC_LEDGER_RINGS; i++) {
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

static enum rc_violation_kind rc_ledger_submit(struct rc_ledger *l,
					       const struct rc_op *op)
{
	struct rc_ledger_op *o = rc_ledger_op(l, op, true);
	struct rc_ledger_buf *b;

	l->submits++;
	if (!o)
		return RC_VIOL_NONE;
	if (op->buf_select && !o->in_flight) {
		unsigned *n = rc_ledger_selects(l, op->ring);

		if (n) {
			++*n;
			o->select_ring = op->ring;
		}
	}
	o->in_flight = true;
	o->buf = op->buf;
	o->buf_size = op->buf_size;
	o->user_data = (uint64_t)(uintptr_t)op |
		       ((uint64_t)(op->gen & 0xffff) << 48);
	if (!op->buf)
		return RC_VIOL_NONE;
	b = rc_ledger_buf(l, op->buf, true);
	if (!b)
		return RC_VIOL_NONE;
	if (b->state == RC_BUF_KERNEL && b->op != op)
		return RC_VIOL_SUBMIT_KERNEL;
	if (b->state == RC_BUF_FREE && b->size)	/* known, and freed */
		return RC_VIOL_SUBMIT_FREED;
	if (!b->size)
		b->size = op->buf_size;	/* memory the caller brought */
	b->state = RC_BUF_KERNEL;
	b->op = op;
	b->lent = true;
	return RC_VIOL_NONE;
}

static enum rc_violation_kind rc_ledger_cqe(struct rc_ledger *l,
					    const struct rc_op *op)
{
	struct rc_ledger_op *o = rc_ledger_op(l, op, false);
	struct rc_ledger_buf *b;

	if (!o || !o->in_flight)
		return RC_VIOL_CQE_NOT_IN_FLIGHT;
	if (op->cqe_user_data != o->user_data)
		return RC_VIOL_CQE_WRONG_LIFE;	/* stays in flight */
	o->in_flight = false;
	if (o->select_ring) {
		unsigned *n = rc_ledger_selects(l, o->select_ring);

		if (n && *n)
			--*n;
		o->select_ring = NULL;
	}
	l->cqes++;
	if (o->buf) {
		b = rc_ledger_buf(l, o->buf, false);
		if (b && b->state == RC_BUF_KERNEL && b->op == op)
			b->state = RC_BUF_APP;
	}
	return RC_VIOL_NONE;
}

static enum rc_violation_kind rc_ledger_put(struct rc_ledger *l,
					    const void *buf, size_t len)
{
	struct rc_ledger_buf *b = rc_ledger_buf(l, buf, true);
	enum rc_buf_state was;

	l->frees++;
	if (!b)
		return RC_VIOL_NONE;
	was = (enum rc_buf_state)b->state;
	if (!b->size)
		b->size = len;
	b->state = RC_BUF_FREE;
	b->op = NULL;
	if (was == RC_BUF_KERNEL)
		return RC_VIOL_FREE_WHILE_KERNEL;
	if (was == RC_BUF_FREE)
		return RC_VIOL_DOUBLE_FREE;
	if (b->lent)
		l->frees_after_cqe++;
	else
		l->frees_never_lent++;
	b->lent = false;
	return RC_VIOL_NONE;
}

enum rc_violation_kind rc_ledger_event(struct rc_ledger *l,
				       enum rc_trace_event ev,
				       const struct rc_op *op, const void *buf,
				       size_t len, int64_t res)
{
	struct rc_ledger_buf *b;
	struct rc_ledger_op *o;

	switch (ev) {
	case RC_EV_BUF_GET:
		b = rc_ledger_buf(l, buf, true);
		if (!b)
			return RC_VIOL_NONE;
		if (b->state == RC_BUF_KERNEL)
			return RC_VIOL_REUSE_WHILE_KERNEL;
		b->state = RC_BUF_APP;
		b->size = len;
		b->lent = false;
		return RC_VIOL_NONE;
	case RC_EV_BUF_PUT:
		return rc_ledger_put(l, buf, len);
	case RC_EV_SUBMIT:
		return rc_ledger_submit(l, op);
	case RC_EV_CQE:
		return rc_ledger_cqe(l, op);
	case RC_EV_BUF_PROVIDE:
		/* into the kernel's buffer ring: any read may fill it now */
		b = rc_ledger_buf(l, buf, true);
		if (!b)
			return RC_VIOL_NONE;
		if (b->state == RC_BUF_KERNEL)
			return RC_VIOL_PROVIDE_KERNEL;
		b->state = RC_BUF_KERNEL;
		b->op = NULL;
		b->size = len;
		b->lent = true;
		return RC_VIOL_NONE;
	case RC_EV_BUF_RECLAIM:
		/* only once the ring is gone: no read may pick it any more
		 * (res carries the ring) */
		o = NULL;
		{
			const void *ring = (const void *)(uintptr_t)res;
			size_t i;

			for (i = 0; i < RC_LEDGER_RINGS; i++)
				if (l->rings[i].ring == ring &&
				    l->rings[i].selects_in_flight) {
					b = rc_ledger_buf(l, buf, true);
					if (b)
						b->state = RC_BUF_APP;
					return RC_VIOL_RECLAIM_IN_FLIGHT;
				}
		}
		/* fall through */
		__attribute__((fallthrough));
	case RC_EV_BUF_SELECT:
		/* out of the ring: picked for op's read, or taken back once
		 * the ring is proven gone */
		b = rc_ledger_buf(l, buf, true);
		if (!b)
			return RC_VIOL_NONE;
		if (b->state != RC_BUF_KERNEL || b->op) {
			b->state = RC_BUF_APP;
			return RC_VIOL_SELECT_NOT_PROVIDED;
		}
		b->state = RC_BUF_APP;
		return RC_VIOL_NONE;
	case RC_EV_BUF_LOST:
		return RC_VIOL_RING_BUF_LOST;
	case RC_EV_RELEASE:
		o = rc_ledger_op(l, op, false);
		return o && o->in_flight ? RC_VIOL_RELEASE_IN_FLIGHT :
					   RC_VIOL_NONE;
	default:
		return RC_VIOL_NONE;
	}
}

const struct rc_ledger_buf *rc_ledger_find_buf(const struct rc_ledger *l,
					       const void *addr)
{
	struct rc_ledger_buf *exact;
	size_t i;

	/* exact base first (cheap), then a containing buffer (slow scan) */
	exact = rc_ledger_buf((struct rc_ledger *)l, addr, false);
	if (exact)
		return exact;
	for (i = 0; i < l->bufs_cap; i++) {
		const struct rc_ledger_buf *b = &l->bufs[i];

		if (b->addr && (const char *)addr >= (const char *)b->addr &&
		    (const char *)addr < (const char *)b->addr + b->size)
			return b;
	}
	return NULL;
}

enum rc_buf_state rc_ledger_state(const struct rc_ledger *l, const void *addr)
{
	const struct rc_ledger_buf *b = rc_ledger_find_buf(l, addr);

	return b ? (enum rc_buf_state)b->state : RC_BUF_FREE;
}

size_t rc_ledger_kernel_owned(const struct rc_ledger *l)
{
	size_t i, n = 0;

	for (i = 0; i < l->bufs_cap; i++)
		n += l->bufs[i].addr && l->bufs[i].state == RC_BUF_KERNEL;
	return n;
}

const struct rc_ledger_op *rc_ledger_find_op(const struct rc_ledger *l,
					     const struct rc_op *op)
{
	return rc_ledger_op((struct rc_ledger *)l, op, false);
}
