/* SPDX-License-Identifier: MIT */
/*
 * Description: a linked timeout cancels a pipe read that gets no data: the
 * read ends -ECANCELED, the timeout's own CQE is counted, not acted on.
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

TEST(link_timeout_in_a_chain_keeps_the_chain)
{
	struct rc_ring *r = t_make_ring(0, NULL, NULL);
	struct rc_op *a = t_op_with_buf(r, 64), *b, *got;
	int p[2], n = 0;

	ASSERT_EQ(pipe(p), 0);
	ASSERT_EQ(rc_op_get(r, &b), 0);
	rc_op_prep_read(a, p[0], 0, 64, (uint64_t)-1);
	ASSERT_EQ(rc_op_set_flags(a, IOSQE_IO_LINK), 0);
	rc_op_set_link_timeout(a, 30 * 1000000ull);
	rc_op_prep_nop(b);
	rc_op_submit(a);
	rc_op_submit(b);
	while (n < 2) {
		ASSERT_GE(rc_ring_wait(r, 1, 2000), 0);
		while ((got = rc_ring_next(r)))
			n++;
	}
	TH_LOG("a %d b %d", a->res, b->res);
	/* a timed out, so b, linked after it, never ran */
	EXPECT_EQ(a->res, -ECANCELED);
	EXPECT_EQ(b->res, -ECANCELED);
	rc_op_put(a);
	rc_op_put(b);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
}
