/* SPDX-License-Identifier: MIT */
/*
 * Description: a linked timeout cancels a pipe read that gets no data: the
 * read ends -ECANCELED, the timeout's own CQE is counted, not acted on.  An
 * op linked to the next goes on linking after its timeout, by the same kind
 * of link: a hard-linked op's timeout is hard-linked too.
 */
#include "testutil.h"

TEST(link_timeout_expires_on_idle_pipe_read)
{
	struct rc_ring *r = t_make_ring(0, NULL, NULL);
	const struct rc_ring_stats *st = rc_ring_stats(r);
	struct rc_op *op = t_op_with_buf(r, 64), *got = NULL;
	uint64_t t0 = rc_now_ns();
	int p[2];

	ASSERT_EQ(pipe(p), 0);
	rc_op_prep_read(op, p[0], 0, 64, (uint64_t)-1);
	rc_op_set_link_timeout(op, 20 * 1000000ull);
	rc_op_submit(op);
	while (!got && rc_now_ns() - t0 < 2000000000ull) {
		rc_ring_wait(r, 1, 500);
		got = rc_ring_next(r);
	}
	ASSERT_TRUE(got == op);
	EXPECT_EQ(op->res, -ECANCELED);
	EXPECT_GE(rc_now_ns() - t0, 15 * 1000000ull);
	rc_ring_drain(r, 1000);
	rc_ring_wait(r, 0, 0);
	EXPECT_EQ(st->link_timeout_cqes, 1);
	rc_op_put(op);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
}

TEST(op_comes_back_only_after_its_timeouts_cqe_too)
{
	struct rc_ring *r = t_make_ring(0, NULL, NULL);
	const struct rc_ring_stats *st = rc_ring_stats(r);
	struct rc_op *op = t_op_with_buf(r, 64), *got = NULL;
	int p[2];

	ASSERT_EQ(pipe(p), 0);
	ASSERT_EQ(write(p[1], "data", 4), 4);
	rc_op_prep_read(op, p[0], 0, 64, (uint64_t)-1);
	rc_op_set_link_timeout(op, 10ull * 1000000000);	/* never fires */
	rc_op_submit(op);
	while (!got) {
		ASSERT_GE(rc_ring_wait(r, 1, 2000), 0);
		got = rc_ring_next(r);
		/* the op is never handed back with its timeout still due */
		if (got)
			EXPECT_EQ(st->link_timeout_cqes, 1);
	}
	ASSERT_TRUE(got == op);
	EXPECT_EQ(op->res, 4);
	EXPECT_FALSE(op->timeout_pending);
	rc_op_put(op);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
}

/*
 * a: a read of fd (an empty pipe) linked by link_flag to b, a nop, with a
 * timeout of ms on a; both submitted, and back.
 */
static void timed_read_then_nop(struct rc_ring *r, struct rc_op *a,
				struct rc_op *b, int fd, unsigned link_flag,
				unsigned ms)
{
	struct rc_op *got;
	int n = 0;

	rc_op_prep_read(a, fd, 0, 64, (uint64_t)-1);
	ASSERT_EQ(rc_op_set_flags(a, link_flag), 0);
	rc_op_set_link_timeout(a, ms * 1000000ull);
	rc_op_prep_nop(b);
	rc_op_submit(a);
	rc_op_submit(b);
	while (n < 2) {
		ASSERT_GE(rc_ring_wait(r, 1, 2000), 0);
		while ((got = rc_ring_next(r)))
			n++;
	}
}

TEST(link_timeout_in_a_chain_keeps_the_chain)
{
	struct rc_ring *r = t_make_ring(0, NULL, NULL);
	struct rc_op *a = t_op_with_buf(r, 64), *b;
	int p[2];

	ASSERT_EQ(pipe(p), 0);
	ASSERT_EQ(rc_op_get(r, &b), 0);
	timed_read_then_nop(r, a, b, p[0], IOSQE_IO_LINK, 30);
	TH_LOG("a %d b %d", a->res, b->res);
	/* a timed out, so b, linked after it, never ran */
	EXPECT_EQ(a->res, -ECANCELED);
	EXPECT_EQ(b->res, -ECANCELED);
	rc_op_put(a);
	rc_op_put(b);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
}

/* The opcode and flags of every SQE the engine writes. */
struct sqe_seen {
	unsigned n;
	uint8_t opcode[8], flags[8];
};

static void see_sqes(void *arg, enum rc_trace_event ev, const struct rc_op *op,
		     const void *buf, size_t len, int64_t res)
{
	struct sqe_seen *s = arg;
	const struct io_uring_sqe *sqe = buf;

	(void)op; (void)len; (void)res;
	if (ev != RC_EV_SQE || s->n >= 8)
		return;
	s->opcode[s->n] = sqe->opcode;
	s->flags[s->n++] = sqe->flags;
}

TEST(hardlinked_op_keeps_its_chain_hardlinked_past_its_timeout)
{
	static struct sqe_seen seen;
	struct rc_ring_params p = { .trace = see_sqes, .trace_arg = &seen };
	struct rc_ring *r;
	struct rc_op *a, *b;
	int fds[2], ret;

	ret = rc_ring_create(&r, &p);
	if (ret)
		SKIP("io_uring unavailable: %s", rc_setup_advice(ret));
	ASSERT_EQ(pipe(fds), 0);
	a = t_op_with_buf(r, 64);
	ASSERT_EQ(rc_op_get(r, &b), 0);
	timed_read_then_nop(r, a, b, fds[0], IOSQE_IO_HARDLINK, 20);
	/* a timed out; b, hard-linked after it, ran all the same */
	EXPECT_EQ(a->res, -ECANCELED);
	EXPECT_EQ(b->res, 0);
	/* the chain the engine wrote: a, its timeout, b; every link hard */
	ASSERT_EQ(seen.n, 3);
	EXPECT_EQ(seen.opcode[1], IORING_OP_LINK_TIMEOUT);
	EXPECT_TRUE(seen.flags[0] & IOSQE_IO_HARDLINK);
	EXPECT_TRUE(seen.flags[1] & IOSQE_IO_HARDLINK);
	EXPECT_FALSE(seen.flags[2] & (IOSQE_IO_LINK | IOSQE_IO_HARDLINK));
	rc_op_put(a);
	rc_op_put(b);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
	close(fds[0]);
	close(fds[1]);
}
