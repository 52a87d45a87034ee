/* SPDX-License-Identifier: MIT */
/*
 * The data budget of a copy (--memory): the bytes of block buffers every
 * pump of the copy may hold at once, all files together, instead of
 * queue depth x block size per file.  A pump charges a slot's block to
 * its op before the read (rc_op_charge, engine/core/op.c) and gives it
 * back when the block is written; an op given up in flight keeps its
 * charge until its own CQE releases it, because the kernel may still use
 * its buffer.  So the charges on the ring are never less than the block
 * memory the kernel may touch.
 *
 * A pump with nothing in flight that finds no room waits on the budget's
 * queue (waitq.c, as a pump waits for a pipe) and is started again by
 * rc_budget_wake when charges come back.  When nothing is charged at all
 * one block is always allowed, whatever the budget: a budget smaller
 * than a block still copies, one block at a time, and no pump can wait
 * for charges that nobody holds.
 */
#include <errno.h>
#include <stdlib.h>

#include "pump_int.h"

struct rc_budget {
	struct rc_ring *r;
	uint64_t limit;		/* bytes charged at once, at most */
	struct rc_waitq waitq;
	uint64_t wakes;
};

int rc_budget_create(struct rc_ring *r, uint64_t bytes,
		     struct rc_budget **bp)
{
	struct rc_config cfg = { .memory = bytes };
	struct rc_budget *b;

	*bp = NULL;
	if (rc_config_resolve(&cfg))
		return -EINVAL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->r = r;
	b->limit = cfg.memory;
	*bp = b;
	return 0;
}

void rc_budget_destroy(struct rc_budget *b)
{
	free(b);
}

uint64_t rc_budget_limit(const struct rc_budget *b)
{
	return b->limit;
}

bool rc_budget_room(const struct rc_budget *b, uint64_t bytes)
{
	uint64_t charged = rc_ring_charged(b->r);

	return !charged || charged + bytes <= b->limit;
}

void rc_budget_wait(struct rc_budget *b, struct rc_pump *pump)
{
	rc_waitq_add(&b->waitq, pump);
}

void rc_budget_unwait(struct rc_budget *b, struct rc_pump *pump)
{
	rc_waitq_del(&b->waitq, pump);
}

struct rc_pump *rc_budget_waker(struct rc_budget *b)
{
	struct rc_pump *pump = b->waitq.head;

	if (!pump || !rc_budget_room(b, pump->charge))
		return NULL;
	rc_waitq_del(&b->waitq, pump);
	b->wakes++;
	return pump;
}

unsigned rc_budget_waiting(const struct rc_budget *b)
{
	return b->waitq.n;
}

void rc_budget_stats(const struct rc_budget *b, struct rc_budget_stats *st)
{
	st->limit_bytes = b->limit;
	st->waits = b->waitq.waits;
	st->wakes = b->wakes;
	st->charged_peak_bytes = rc_ring_stats(b->r)->charged_peak_bytes;
}
