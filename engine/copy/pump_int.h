/* SPDX-License-Identifier: MIT */
/*
 * The pump's private header: a slot, and the helpers pump.c (reads and
 * writes) and splice.c (splice pairs) share.  Seen by engine code only.
 *
 * Who calls whom: pump.c -> splice.c -> pipe.c; pump.c -> pipe.c,
 * budget.c; pipe.c, budget.c -> waitq.c.
 */
#ifndef RC_PUMP_INT_H
#define RC_PUMP_INT_H

#include "ringcp/copy.h"

/* Pumps waiting, first come first served (waitq.c). */
struct rc_waitq {
	struct rc_pump *head, *tail;
	unsigned n;		/* waiting now */
	uint64_t waits;		/* pumps ever put on it */
};

struct rc_copy_slot {
	struct rc_pump *pump;
	struct rc_op *op;	/* read (or a pair's splice into the pipe) */
	bool held;		/* we hold it (idle), else the engine has it */
	bool probe;		/* a read at or past the size hint */
	bool parked;		/* its write waits to go buffered */
	uint64_t read_end;	/* end of the read request its data is from */
	/* splice pairs only */
	struct rc_op *op2;	/* the pair's splice out of the pipe */
	bool held2;
	bool cancelled;		/* an op of it was given up (chaos) */
	struct rc_pipe *pipe;	/* lent for the pair, NULL when idle */
	uint64_t in_off;	/* where the splice in read from */
	int in_res;		/* ... and its answer */
	uint32_t in_pipe;	/* bytes it put in the pipe not yet out */
	uint64_t out_off;	/* where they go */
};

/* Hand a slot's op to the engine (counted busy). */
static inline int rc_slot_submit(struct rc_pump *c, struct rc_op *op,
				 bool *held)
{
	int ret = rc_op_submit(op);

	if (!ret) {
		*held = false;
		c->busy++;
	}
	return ret;
}

static inline void rc_pump_fail(struct rc_pump *c, int err,
				enum rc_copy_side side)
{
	if (!c->err) {
		c->err = err;
		c->side = side;
	}
}

/* ---- waitq.c: pumps waiting for a pipe or for budget (FIFO) ---- */

/* Put a pump with nothing in flight on q (once; it is then waiting). */
void rc_waitq_add(struct rc_waitq *q, struct rc_pump *pump);
/* Take it off again (no-op if it is not waiting). */
void rc_waitq_del(struct rc_waitq *q, struct rc_pump *pump);

/* ---- splice.c ---- */

/* Move [off, end) through the slot's pipe: a linked splice in and out. */
int rc_splice_pair(struct rc_pump *c, struct rc_copy_slot *s, uint64_t off,
		   uint64_t end);

/*
 * One of a pair's ops came back: the out continues what the pipe still
 * holds, a short in is continued, an EOF noted, the pipe given back when
 * the chunk is done.  Returns 0 or -errno.
 */
int rc_splice_complete(struct rc_pump *c, struct rc_copy_slot *s,
		       struct rc_op *op);

/*
 * The slot's pipe goes back when the pump ends or aborts (with
 * cancelled: ops naming it were given up in flight).
 */
void rc_splice_slot_end(struct rc_pump *c, struct rc_copy_slot *s,
			bool cancelled);

/* ---- direct.c ---- */

/*
 * Start: turn O_DIRECT on for the destination if the copy asks for it for
 * this span and the filesystem takes it; otherwise (or refused) the pump
 * writes buffered.  Nothing of the pump is in flight yet.
 */
void rc_direct_start(struct rc_pump *c, uint64_t span);

/* May this write (op prepared) go with O_DIRECT as it is? */
bool rc_direct_fits(const struct rc_pump *c, const struct rc_op *op);

/*
 * A write that cannot go direct (unaligned: the tail, a short read's
 * rest; or answered -EINVAL) is parked: the slot keeps it, prepared, and
 * the pump starts nothing new.  Once nothing of the pump is in flight,
 * O_DIRECT is turned off and the parked writes go (buffered from then on).
 * Returns 0 or -errno.
 */
int rc_direct_park(struct rc_pump *c, struct rc_copy_slot *s);
int rc_direct_unpark(struct rc_pump *c);

/* End of a pump with nothing in flight: the fd buffered again. */
void rc_direct_end(struct rc_pump *c);

#endif
