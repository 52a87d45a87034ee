/* SPDX-License-Identifier: MIT */
/*
 * The pump, the copy pipeline: every op owns one block buffer and goes
 * read -> write -> read ... at increasing offsets.  A short read is
 * written and then continued; a short write is continued; a read that
 * returns 0 marks the EOF actually read.  rc_copy_fd drives one pump on
 * a ring of its own; the tree copy drives many on one ring.
 *
 * A slot holds a block buffer only while its block is in flight: it is
 * charged against the copy's data budget (budget.c) and taken before the
 * read, and given back when the block is written.  A pump with nothing in
 * flight that finds no room waits on the budget and is started again when
 * another pump gives blocks back.
 *
 * In splice mode (the splice data path, splice.c) a slot is a linked
 * splice pair through a pipe lent by the pool the pumps of a copy share:
 * a pump that finds none free waits on the pool and is started again
 * when another pump gives one back.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mutant.h"
#include "pump_int.h"

static int rc_copy_submit(struct rc_pump *c, struct rc_copy_slot *s)
{
	return rc_slot_submit(c, s->op, &s->held);
}

/* Submit the slot's prepared write, or park it (direct.c) when the file is
 * written direct and this one cannot be. */
static int rc_copy_write(struct rc_pump *c, struct rc_copy_slot *s)
{
	if (c->direct && !rc_direct_fits(c, s->op))
		return rc_direct_park(c, s);
	return rc_copy_submit(c, s);
}

static int rc_copy_read(struct rc_pump *c, struct rc_copy_slot *s,
			uint64_t off, uint64_t end)
{
	int ret;

	s->read_end = end;
	s->op->user = s;
	s->op->user_tag = RC_PUMP_TAG;
	ret = rc_op_prep_read(s->op, c->src, 0, (uint32_t)(end - off), off);
	if (!ret)
		ret = rc_copy_submit(c, s);
#ifdef RC_MUTANT_USER_FREE
	/* MUTANT: the program frees the buffer its read is filling */
	if (!ret && off == 0)
		rc_buf_put(c->r, s->op->buf, s->op->buf_size);
#endif
	return ret;
}

/*
 * A splice pair needs a pipe.  Returns 1 with one, 0 when none is free (a
 * pump with nothing in flight then waits on the pool), or -errno.
 */
static int rc_copy_take_pipe(struct rc_pump *c, struct rc_copy_slot *s)
{
	int ret = rc_pipe_get(c->pipes, &s->pipe);

	if (!ret)
		return 1;
	s->pipe = NULL;
	if (ret != -EAGAIN && !c->busy)
		return ret;	/* none could be made, none will come back */
	if (!c->busy)
		rc_pipe_pool_wait(c->pipes, c);
	return 0;
}

/*
 * A read needs a block: charged to the slot's op against the budget, and
 * a buffer unless the kernel picks one from the ring's.  Returns 1 with
 * one, 0 when the budget has no room (a pump with nothing in flight then
 * waits on it), or -errno.
 */
static int rc_copy_take_block(struct rc_pump *c, struct rc_copy_slot *s)
{
	void *buf;
	int ret;

	if (c->budget && !rc_budget_room(c->budget, c->charge)) {
		if (!c->busy)
			rc_budget_wait(c->budget, c);
		return 0;
	}
	if (!rc_ring_buf_select(c->r) && !s->op->buf) {
		ret = rc_buf_get(c->r, c->bs, &buf);
		if (ret)
			return ret;
		rc_op_set_buf(s->op, buf, c->bs);
	}
	rc_op_charge(s->op, c->charge);
	return 1;
}

/* Start reads (splice pairs) on idle slots while there is something left
 * to read. */
static int rc_copy_fill(struct rc_pump *c)
{
	unsigned i;
	int ret;

	if (c->parked)
		return 0;	/* a switch to buffered waits for the rest */
	for (i = 0; i < c->n_slots && !c->err; i++) {
		struct rc_copy_slot *s = &c->slots[i];
		uint64_t off = c->next_off, end;

		if (!s->held || (c->splice && (!s->held2 || s->pipe)))
			continue;
		if (off >= c->eof)
			break;
		if (off < c->size_hint || c->exact_end) {
			if (off >= c->size_hint)
				break;
			end = off + c->bs < c->size_hint ? off + c->bs :
							   c->size_hint;
			s->probe = false;
		} else {
			/* past the size seen at open: one probe at a time */
			if (c->probe_out)
				break;
			end = off + c->bs;
			s->probe = true;
		}
		ret = c->splice ? rc_copy_take_pipe(c, s) :
				  rc_copy_take_block(c, s);
		if (ret <= 0) {
			s->probe = false;
			return ret;
		}
		c->probe_out |= s->probe;
		ret = c->splice ? rc_splice_pair(c, s, off, end) :
				  rc_copy_read(c, s, off, end);
		if (ret)
			return ret;
		c->next_off = end;
	}
	return 0;
}

/*
 * A pump woken from the pool's wait list could not start: no pipe could be
 * made (EMFILE: out of fds).  Nothing of it is in flight, so no CQE would
 * ever tell its owner (the tree's job waits for one, forever): one of its
 * idle ops goes as a NOP, whose CQE hands the error back as any op's does
 * (rc_pump_complete returns c->err).
 */
static void rc_pump_tell(struct rc_pump *c)
{
	unsigned i;

	for (i = 0; i < c->n_slots; i++) {
		struct rc_copy_slot *s = &c->slots[i];

		if (!s->op || !s->held)
			continue;
		s->op->user = s;
		s->op->user_tag = RC_PUMP_TAG;
		if (!rc_op_prep_nop(s->op))
			rc_slot_submit(c, s->op, &s->held);
		return;
	}
}

/* A woken pump that cannot go on fails; with nothing of it in flight no
 * CQE would tell its owner, so a NOP's does (rc_pump_tell). */
static void rc_pump_give_up(struct rc_pump *w, int err)
{
	rc_pump_fail(w, err, RC_SIDE_NONE);
	if (!w->busy)
		rc_pump_tell(w);	/* else its own CQEs tell */
}

/*
 * Pipes came back: start the pumps waiting for one, first come first
 * served, while one is free.  A woken pump that cannot make a pipe (out
 * of fds) waits again while a pipe is lent (its return wakes it, and a
 * clean one needs no new fd); with none lent none will come back: it
 * fails, told by a NOP's CQE (rc_pump_tell; if even that cannot be
 * submitted, the ring is broken and the owner's wait fails).
 */
static void rc_pump_wake(struct rc_pipe_pool *pool)
{
	struct rc_pump *w;
	int ret;

	while ((w = rc_pipe_pool_waker(pool))) {
		ret = rc_copy_fill(w);
		if (!ret)
			continue;
		if (!w->busy && rc_pipe_pool_lent(pool)) {
			rc_pipe_pool_wait(pool, w);
			return;	/* the next pipe back wakes it */
		}
		rc_pump_give_up(w, ret);
	}
}

/* Blocks came back to the budget: start the pumps waiting for room, first
 * come first served; one that cannot go on (no memory for a buffer) fails
 * as above. */
void rc_budget_wake(struct rc_budget *b)
{
	struct rc_pump *w;
	int ret;

	while (b && (w = rc_budget_waker(b))) {
		ret = rc_copy_fill(w);
		if (ret)
			rc_pump_give_up(w, ret);
	}
}

/*
 * A slot whose block is done (its write's or its EOF read's CQE came):
 * its buffer and its charge go back now, for this pump's next block or
 * another's.
 */
static void rc_copy_idle(struct rc_pump *c, struct rc_copy_slot *s)
{
	size_t size;
	void *buf;

	s->held = true;
	if (s->op->buf) {
		buf = rc_op_take_buf(s->op, &size);
		rc_buf_put(c->r, buf, size);
	}
	rc_op_uncharge(s->op);
}

static void rc_copy_fail(struct rc_pump *c, int err, enum rc_copy_side side)
{
	rc_pump_fail(c, err, side);
}

static int rc_copy_on_read(struct rc_pump *c, struct rc_copy_slot *s)
{
	struct rc_op *op = s->op;
	int res = op->res;

	if (s->probe) {
		/* the probe answered: another may follow it */
		c->probe_out = false;
		s->probe = false;
	}
	if (res == -EINTR || res == -EAGAIN)
		return rc_copy_read(c, s, op->off, s->read_end);
	/* the buffer ring was empty: the other slots give theirs back as
	 * their writes end; a ring that stays empty is an error */
	if (res == -ENOBUFS && ++c->nobufs_retries < RC_COPY_NOBUFS_RETRIES)
		return rc_copy_read(c, s, op->off, s->read_end);
	if (res < 0) {
		rc_copy_fail(c, res, RC_SIDE_SRC);
		return 0;
	}
	if (res == 0) {
		if (op->off < c->eof)
			c->eof = op->off;
		rc_copy_idle(c, s);
		return 0;
	}
	c->nobufs_retries = 0;
	s->op->user = s;
	s->op->user_tag = RC_PUMP_TAG;
	res = rc_op_prep_write(op, c->dst, 0, (uint32_t)res, op->off);
	if (!res)
		res = rc_copy_write(c, s);
#ifdef RC_MUTANT_BUDGET_WAKE_LIVE
	/* MUTANT: "the read is done: its block goes to a pump waiting for
	 * the budget": buffer and charge handed on while the write that
	 * reads the buffer is in flight */
	if (!res && c->budget && rc_budget_waiting(c->budget)) {
		rc_buf_put(c->r, op->buf, op->buf_size);
		rc_op_uncharge(op);
		rc_budget_wake(c->budget);
	}
#endif
#ifdef RC_MUTANT_POOL_PUT_IN_FLIGHT
	/* MUTANT: "the write has the data now": the block buffer goes back
	 * to the pool while the kernel still reads it */
	if (!res)
		rc_buf_put(c->r, op->buf, op->buf_size);
#endif
	return res;
}

static int rc_copy_on_write(struct rc_pump *c, struct rc_copy_slot *s)
{
	struct rc_op *op = s->op;
	int res = op->res;
	uint64_t end;

	if (res == -EINTR || res == -EAGAIN)
		res = 0;	/* nothing written: write it all again */
	else if (res == -EINVAL && c->direct) {
		/* the filesystem refused it direct: again, buffered */
		res = rc_op_prep_write(op, c->dst, op->io_off, op->len,
				       op->off);
		return res ? res : rc_direct_park(c, s);
	} else if (res <= 0) {
		rc_copy_fail(c, res ? res : -EIO, RC_SIDE_DST);
		return 0;
	}
	if ((uint32_t)res < op->len) {
		size_t io_off = op->io_off + (size_t)res;
		uint32_t len = op->len - (uint32_t)res;

		res = rc_op_prep_write(op, c->dst, io_off, len,
				       op->off + (uint64_t)res);
		return res ? res : rc_copy_write(c, s);
	}
	/* the block's data up to end is written */
	end = op->off + op->len;
	if (end < s->read_end && end < c->eof)	/* continue a short read */
		return rc_copy_read(c, s, end, s->read_end);
	rc_copy_idle(c, s);
	return 0;
}

/* Cancel what the engine holds and give back what we hold; no drain. */
/* Give up one of a slot's ops in flight (released by its own CQE). */
static void rc_slot_cancel(struct rc_copy_slot *s, struct rc_op **opp,
			   bool held)
{
	if (*opp && !held) {
#ifdef RC_MUTANT_DIRECT_CANCEL_PUT
		/* MUTANT: "the kernel pinned a direct write's pages, it needs
		 * no buffer of ours": the buffer goes back at cancel */
		if (s->pump->direct && (*opp)->opcode == IORING_OP_WRITE)
			rc_buf_put(s->pump->r, (*opp)->buf, (*opp)->buf_size);
#endif
		rc_op_cancel(*opp);
		*opp = NULL;
		s->cancelled = true;
	}
}

/* Give back the slots: the idle ops, the pipes (wake: pumps waiting for
 * one may go on). */
static void rc_pump_release(struct rc_pump *c, bool wake)
{
	unsigned i;

	for (i = 0; i < c->n_slots; i++) {
		struct rc_copy_slot *s = &c->slots[i];

		if (s->op && s->held)
			rc_op_put(s->op);
		if (s->op2 && s->held2)
			rc_op_put(s->op2);
		if (c->pipes)
			rc_splice_slot_end(c, s, s->cancelled ||
					   (s->op && !s->held) ||
					   (s->op2 && !s->held2));
	}
	if (c->pipes)
		rc_pipe_pool_unwait(c->pipes, c);
	if (c->budget)
		rc_budget_unwait(c->budget, c);
	c->busy = 0;
	free(c->slots);
	c->slots = NULL;
	c->n_slots = 0;
	if (c->pipes && wake)
		rc_pump_wake(c->pipes);
	if (wake)
		rc_budget_wake(c->budget);
}

/* Cancel what the engine holds and give back what we hold; no drain. */
void rc_pump_abort(struct rc_pump *c)
{
	unsigned i;

	for (i = 0; i < c->n_slots; i++) {
		struct rc_copy_slot *s = &c->slots[i];

		rc_slot_cancel(s, &s->op, s->held);
		rc_slot_cancel(s, &s->op2, s->held2);
	}
	rc_pump_release(c, true);
}

void rc_pump_forget(struct rc_pump *c)
{
	unsigned i;

	/* every op of the ring was cancelled: those in flight are gone */
	for (i = 0; i < c->n_slots; i++) {
		struct rc_copy_slot *s = &c->slots[i];

		if (!s->held || (s->op2 && !s->held2))
			s->cancelled = true;
		if (!s->held)
			s->op = NULL;
		if (s->op2 && !s->held2)
			s->op2 = NULL;
	}
	rc_pump_release(c, false);
}

void rc_pump_end(struct rc_pump *c)
{
	if (c->busy) {
		rc_pump_abort(c);
		return;
	}
	rc_direct_end(c);
	rc_pump_release(c, true);
}

static int rc_copy_setup(struct rc_pump *c)
{
	unsigned i;
	int ret;

	c->slots = calloc(c->n_slots, sizeof(*c->slots));
	if (!c->slots) {
		c->n_slots = 0;
		return -ENOMEM;
	}
	for (i = 0; i < c->n_slots; i++) {
		struct rc_copy_slot *s = &c->slots[i];

		s->pump = c;
		ret = rc_op_get(c->r, &s->op);
		if (ret)
			return ret;
		s->held = true;
		s->held2 = true;
		if (c->splice) {	/* a pair: no buffer, a second op */
			ret = rc_op_get(c->r, &s->op2);
			if (ret)
				return ret;
		}
		/* a read takes its block when it starts (rc_copy_fill) */
	}
	return 0;
}

#ifdef RC_TRACE
/*
 * The harness' chaos hook: cancel one op in flight (given up at once, as a
 * program dropping a future would) or the whole file.  Returns true if the
 * copy must stop.
 */
static bool rc_copy_chaos(struct rc_pump *c)
{
	int act = c->opts->chaos(c->opts->chaos_arg, c->busy);
	unsigned i;

	if (act == RC_CHAOS_CANCEL_OP) {
		bool done = false;

		/* splice: a pair's out whose in is back first (its pipe holds
		 * the chunk), else the first op in flight */
		for (i = 0; c->splice && !done && i < c->n_slots; i++) {
			struct rc_copy_slot *s = &c->slots[i];

			if (s->op && s->held && s->op2 && !s->held2) {
				rc_slot_cancel(s, &s->op2, false);
				done = true;
			}
		}
		for (i = 0; !done && i < c->n_slots; i++) {
			struct rc_copy_slot *s = &c->slots[i];

			if (s->op && !s->held)
				rc_slot_cancel(s, &s->op, false);
			else if (s->op2 && !s->held2)
				rc_slot_cancel(s, &s->op2, false);
			else
				continue;
			done = true;
		}
		if (done)
			c->busy--;
	}
	if (act == RC_CHAOS_NONE)
		return false;
	rc_copy_fail(c, -ECANCELED, RC_SIDE_NONE);
	return true;
}
#endif

int rc_pump_start(struct rc_pump *c, struct rc_ring *r, int src_fd,
		  int dst_fd, uint64_t start, uint64_t end, bool exact_end,
		  const struct rc_copy_opts *opts)
{
	uint64_t span = end > start ? end - start : 0;
	struct rc_config cfg = {
		.queue_depth = opts->queue_depth,
		.block_size = opts->block_size,
		.data_path = opts->data_path,
		.splice_pairs = opts->splice_pairs,
		.memory = opts->memory,
	};
	uint64_t memory;
	int ret;

	memset(c, 0, sizeof(*c));
	if (rc_config_resolve(&cfg))
		return -EINVAL;
	c->r = r;
	c->src = src_fd;
	c->dst = dst_fd;
	c->bs = cfg.block_size;
	c->size_hint = end;
	c->next_off = start;
	c->exact_end = exact_end;
	c->eof = UINT64_MAX;
	c->n_slots = cfg.queue_depth;
	c->opts = opts;
	/* auto splices its size class, unless direct writes were asked
	 * for (--direct=always): a splice cannot write O_DIRECT */
	if (opts->pipes && (cfg.data_path == RC_DATA_SPLICE ||
			    (cfg.data_path == RC_DATA_AUTO &&
			     opts->direct != RC_DIRECT_ALWAYS &&
			     span >= RC_SPLICE_AUTO_MIN_BYTES &&
			     span <= RC_SPLICE_AUTO_MAX_BYTES))) {
		/* pairs of a pipe's chunk; no buffers */
		c->splice = true;
		c->pipes = opts->pipes;
		c->bs = rc_pipe_pool_chunk(c->pipes);
	}
	/* small span: smaller buffers, and no more slots than blocks */
	if (span < c->bs)
		c->bs = (uint32_t)((span + 4096) & ~4095ull);
	/* a block costs what the pool strategy holds for it: its size
	 * class, a power of two (a 132 KiB block takes 256 KiB) */
	for (c->charge = 4096; c->charge < c->bs; c->charge <<= 1)
		;
	/* no more blocks than the budget holds (one at least) */
	c->budget = c->splice ? NULL : opts->budget;
	memory = c->budget ? rc_budget_limit(c->budget) : cfg.memory;
	if (!c->splice && (uint64_t)c->n_slots * c->charge > memory)
		c->n_slots = memory / c->charge ?
			     (unsigned)(memory / c->charge) : 1;
	if (span / c->bs + 1 < c->n_slots)
		c->n_slots = (unsigned)(span / c->bs + 1);
	if (exact_end && span && span % c->bs == 0 &&
	    span / c->bs < c->n_slots)
		c->n_slots = (unsigned)(span / c->bs);
	rc_direct_start(c, span);
	ret = rc_copy_setup(c);
	if (!ret)
		ret = rc_copy_fill(c);
	if (ret)
		rc_copy_fail(c, ret, RC_SIDE_NONE);
	return c->err;
}

struct rc_pump *rc_pump_of(const struct rc_op *op)
{
	const struct rc_copy_slot *s = op->user;

	return op->user_tag == RC_PUMP_TAG && s ? s->pump : NULL;
}

int rc_pump_complete(struct rc_pump *c, struct rc_op *op)
{
	struct rc_copy_slot *s = op->user;
	int ret;

	c->busy--;
	if (op == s->op2)
		s->held2 = true;
	else
		s->held = true;
	if (c->err)
		return c->err;
	if (c->splice)
		ret = rc_splice_complete(c, s, op);
	else
		ret = op->opcode == IORING_OP_READ ? rc_copy_on_read(c, s) :
						     rc_copy_on_write(c, s);
	if (!ret && !c->err && c->pipes)
		rc_pump_wake(c->pipes);	/* a pipe it gave back */
	if (!ret && !c->err)
		rc_budget_wake(c->budget); /* a block it gave back */
	if (!ret && !c->err)
		ret = rc_copy_fill(c);
	if (!ret && !c->err && c->parked && !c->busy) {
		ret = rc_direct_unpark(c);	/* the switch to buffered */
		if (!ret)
			ret = rc_copy_fill(c);
	}
	if (ret)
		rc_copy_fail(c, ret, RC_SIDE_NONE);
	return c->err;
}

bool rc_pump_done(const struct rc_pump *c)
{
	return !c->busy && !c->waiting;
}

uint64_t rc_pump_eof(const struct rc_pump *c)
{
	if (c->eof != UINT64_MAX)
		return c->eof;
	return c->exact_end ? c->size_hint : UINT64_MAX;
}

static int64_t rc_copy_fd_pump(struct rc_ring *r, int src_fd, int dst_fd,
			       uint64_t size_hint,
			       const struct rc_copy_opts *opts,
			       enum rc_copy_side *side, int *drain_err)
{
	struct rc_pump c;
	struct rc_op *op;
	uint64_t eof;
	int ret;

	rc_pump_start(&c, r, src_fd, dst_fd, 0, size_hint, false, opts);
	while (!c.err && c.busy) {
		if (opts->stop && *opts->stop) {
			rc_copy_fail(&c, -EINTR, RC_SIDE_NONE);
			break;
		}
#ifdef RC_TRACE
		if (opts->chaos && rc_copy_chaos(&c))
			break;
#endif
		ret = rc_ring_wait(r, 1, -1);
		if (ret < 0 && ret != -EINTR && ret != -ETIME) {
			rc_copy_fail(&c, ret, RC_SIDE_NONE);
			break;
		}
#ifdef RC_MUTANT_BORROWED_BUFFER
		/* MUTANT: the program writes into a buffer it lent for a read */
		for (unsigned i = 0; i < c.n_slots; i++) {
			struct rc_op *o = c.slots[i].op;

			if (!c.slots[i].held && o->opcode == IORING_OP_READ) {
				((volatile char *)o->buf)[0] ^= 0x5a;
				break;
			}
		}
#endif
		while (!c.err && (op = rc_ring_next(r)))
			rc_pump_complete(&c, op);
	}
	/* waiting for a pipe with nothing in flight: only another pump of
	 * a shared pool could give one back, and none runs here */
	if (!c.err && c.waiting)
		rc_copy_fail(&c, -EDEADLK, RC_SIDE_NONE);

	if (c.err) {
		rc_pump_abort(&c);
		*drain_err = rc_ring_drain(r, rc_copy_drain_ms(opts));
		*side = c.side;
		return c.err;
	}
	rc_pump_end(&c);
	eof = rc_pump_eof(&c);
	return eof == UINT64_MAX ? -EIO : (int64_t)eof;
}

int64_t rc_copy_fd(struct rc_ring *r, int src_fd, int dst_fd,
		   uint64_t size_hint, const struct rc_copy_opts *opts,
		   enum rc_copy_side *side, int *drain_err)
{
	struct rc_copy_opts o = *opts;
	int64_t ret;

	*side = RC_SIDE_NONE;
	*drain_err = 0;
	if (!o.pipes) {
		/* a pool for this file alone (a copy of many files passes
		 * its own); the read/write path if splice cannot be had */
		ret = rc_pipe_pool_for(r, &o, &o.pipes);
		if (ret)
			return ret;
	}
	ret = rc_copy_fd_pump(r, src_fd, dst_fd, size_hint, &o, side,
			      drain_err);
	if (o.pipes != opts->pipes)
		rc_pipe_pool_destroy(o.pipes);	/* after the drain */
	return ret;
}
