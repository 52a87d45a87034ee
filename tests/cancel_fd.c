/* SPDX-License-Identifier: MIT */
/*
 * Description: a cancel keyed on an fd (or on every request) gives up every
 * op the caller owns there, whatever the order of the queue: an op queued
 * after a linked chain whose head it gives up is given up too, and the
 * rest of the chain comes back -ECANCELED unless it is on that fd as well.
 */
#include "testutil.h"

/* A queued nop, linked to the next op if link. */
static struct rc_op *queued_nop(struct rc_ring *r, bool link)
{
	struct rc_op *op;

	ASSERT_EQ(rc_op_get(r, &op), 0);
	ASSERT_EQ(rc_op_prep_nop(op), 0);
	if (link)
		ASSERT_EQ(rc_op_set_flags(op, IOSQE_IO_LINK), 0);
	ASSERT_EQ(rc_op_submit(op), 0);
	return op;
}

TEST(giving_up_a_queued_chain_head_gives_up_what_is_queued_after_it)
{
	struct rc_ring *r = t_make_ring(0, NULL, NULL);
	const struct rc_ring_stats *st = rc_ring_stats(r);
	struct rc_op *got;
	unsigned back = 0;

	/* a -> b, then c: all of them on "every fd" */
	queued_nop(r, true);
	queued_nop(r, false);
	queued_nop(r, false);
	ASSERT_EQ(rc_ring_queued(r), 3);
	EXPECT_EQ(rc_ring_cancel_fd(r, -1), 3);
	EXPECT_EQ(rc_ring_queued(r), 0);
	EXPECT_EQ(rc_ring_drain(r, 2000), 0);
	while ((got = rc_ring_next(r))) {
		TH_LOG("handed back after being given up: res %d", got->res);
		back++;
		rc_op_put(got);
	}
	EXPECT_EQ(back, 0);
	EXPECT_EQ(st->released, 3);
	EXPECT_EQ(st->ops_submitted, 0);	/* none ever reached the kernel */
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
}

TEST(a_chain_member_on_another_fd_comes_back_ecanceled)
{
	struct rc_ring *r = t_make_ring(0, NULL, NULL);
	struct rc_op *a, *b, *c, *got;
	int p[2];

	ASSERT_EQ(pipe(p), 0);
	/* a (on p[0]) -> b (a nop, fd -1), then c (on p[0]) */
	a = t_op_with_buf(r, 64);
	ASSERT_EQ(rc_op_prep_read(a, p[0], 0, 64, (uint64_t)-1), 0);
	ASSERT_EQ(rc_op_set_flags(a, IOSQE_IO_LINK), 0);
	ASSERT_EQ(rc_op_submit(a), 0);
	b = queued_nop(r, false);
	c = t_op_with_buf(r, 64);
	ASSERT_EQ(rc_op_prep_read(c, p[0], 0, 64, (uint64_t)-1), 0);
	ASSERT_EQ(rc_op_submit(c), 0);
	EXPECT_EQ(rc_ring_cancel_fd(r, p[0]), 2);
	EXPECT_EQ(rc_ring_queued(r), 0);
	got = rc_ring_next(r);
	ASSERT_TRUE(got == b);		/* the kernel would fail it so */
	EXPECT_EQ(b->res, -ECANCELED);
	EXPECT_TRUE(rc_ring_next(r) == NULL);
	rc_op_put(b);
	EXPECT_EQ(rc_ring_drain(r, 2000), 0);
	EXPECT_TRUE(rc_ring_next(r) == NULL);	/* c is not handed back */
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
	close(p[0]);
	close(p[1]);
}
