/* SPDX-License-Identifier: MIT */
/*
 * The pump's splice pairs: a chunk moves file -> pipe -> file as a linked
 * IORING_OP_SPLICE pair, one copy where read + write make two.  The pair
 * owns a pipe from the pool (pipe.c) until the chunk is out.
 *
 * A short splice in (the EOF, or a file that shrank) fails the link on
 * Linux 6.18: the splice out comes back -ECANCELED and never waits for
 * bytes that will not come (tests/splice_pairs.c checks it).  The bytes
 * the splice in did move are still in the pipe: a lone splice out takes
 * them to the destination before the pipe is given back or the rest of
 * the chunk is asked for.
 */
#include <errno.h>

#include "pump_int.h"

static void rc_splice_tag(struct rc_copy_slot *s)
{
	s->op->user = s;
	s->op->user_tag = RC_PUMP_TAG;
	s->op2->user = s;
	s->op2->user_tag = RC_PUMP_TAG;
}

int rc_splice_pair(struct rc_pump *c, struct rc_copy_slot *s, uint64_t off,
		   uint64_t end)
{
	uint32_t len = (uint32_t)(end - off);
	int ret;

	s->read_end = end;
	s->in_off = off;
	s->in_res = 0;
	s->in_pipe = 0;
	s->out_off = off;
	rc_splice_tag(s);
	ret = rc_op_prep_splice(s->op, c->src, off, s->pipe->wfd,
				RC_SPLICE_NO_OFF, len, 0);
	if (!ret)
		ret = rc_op_set_flags(s->op, IOSQE_IO_LINK);
	if (!ret)
		ret = rc_op_prep_splice(s->op2, s->pipe->rfd, RC_SPLICE_NO_OFF,
					c->dst, off, len, 0);
	if (!ret)
		ret = rc_slot_submit(c, s->op, &s->held);
	if (!ret)
		ret = rc_slot_submit(c, s->op2, &s->held2);
	return ret;
}

/* What the pipe still holds goes out, unlinked. */
static int rc_splice_out(struct rc_pump *c, struct rc_copy_slot *s)
{
	int ret;

	rc_splice_tag(s);
	ret = rc_op_prep_splice(s->op2, s->pipe->rfd, RC_SPLICE_NO_OFF, c->dst,
				s->out_off, s->in_pipe, 0);
	return ret ? ret : rc_slot_submit(c, s->op2, &s->held2);
}

/* The chunk is out and the pipe empty: it goes back for the next pair. */
static void rc_splice_idle(struct rc_pump *c, struct rc_copy_slot *s)
{
	rc_pipe_put(c->pipes, s->pipe, RC_PIPE_CLEAN);
	s->pipe = NULL;
}

/* The splice in's answer: how much is in the pipe.  The out follows. */
static void rc_splice_in_done(struct rc_pump *c, struct rc_copy_slot *s,
			      int res)
{
	if (s->probe) {
		/* the probe answered: another may follow it */
		c->probe_out = false;
		s->probe = false;
	}
	s->in_res = res;
	s->in_pipe = res > 0 ? (uint32_t)res : 0;
}

int rc_splice_complete(struct rc_pump *c, struct rc_copy_slot *s,
		       struct rc_op *op)
{
	int res = op->res;
	uint64_t end;

	if (op == s->op) {
		rc_splice_in_done(c, s, res);
		return 0;
	}
	/* the out: -ECANCELED when a short (or failed) in broke the link */
	if (res > 0 && (uint32_t)res <= s->in_pipe) {
		s->in_pipe -= (uint32_t)res;
		s->out_off += (uint64_t)res;
	} else if (res != -ECANCELED && res != -EINTR && res != -EAGAIN) {
		rc_pump_fail(c, res < 0 ? res : -EIO, RC_SIDE_DST);
		return 0;
	}
	if (s->in_pipe)
		return rc_splice_out(c, s);
	if (s->in_res == -EINTR || s->in_res == -EAGAIN)
		return rc_splice_pair(c, s, s->in_off, s->read_end);
	if (s->in_res < 0) {
		rc_pump_fail(c, s->in_res, RC_SIDE_SRC);
		return 0;
	}
	if (s->in_res == 0) {
		if (s->in_off < c->eof)
			c->eof = s->in_off;
		rc_splice_idle(c, s);
		return 0;
	}
	end = s->in_off + (uint64_t)s->in_res;
	if (end < s->read_end && end < c->eof)	/* continue a short in */
		return rc_splice_pair(c, s, end, s->read_end);
	rc_splice_idle(c, s);
	return 0;
}

void rc_splice_slot_end(struct rc_pump *c, struct rc_copy_slot *s,
			bool cancelled)
{
	if (!s->pipe)
		return;
	/* given up in flight: its splices may still run and name the pipe;
	 * else a pair that did not finish may have left bytes in it */
	rc_pipe_put(c->pipes, s->pipe, cancelled ? RC_PIPE_NAMED :
						  RC_PIPE_DIRTY);
	s->pipe = NULL;
}
