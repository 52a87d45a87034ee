/* SPDX-License-Identifier: MIT */
/*
 * Description: a CQE is acted on only if it names a record of this ring,
 * in that record's current generation, while the record is in flight.  A
 * CQE meant for a record's previous life, a duplicate CQE, and a CQE with
 * a user_data that is no record are counted and ignored.
 */
#include "testutil.h"

/* Post a NOP CQE with any user_data, straight through liburing. */
static void inject_cqe(struct rc_ring *r, uint64_t user_data)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(rc_ring_uring(r));

	ASSERT_TRUE(sqe != NULL);
	io_uring_prep_nop(sqe);
	io_uring_sqe_set_data64(sqe, user_data);
	ASSERT_EQ(io_uring_submit(rc_ring_uring(r)), 1);
}

/* What op's own SQE of life `life` carried. */
static uint64_t user_data_of(const struct rc_op *op, uint32_t life)
{
	return rc_ud_encode(op, RC_UD_OP, life);
}

TEST(cqe_of_previous_generation_is_ignored)
{
	struct rc_ring *r = t_make_ring(0, NULL, NULL);
	const struct rc_ring_stats *st = rc_ring_stats(r);
	struct rc_op *op = t_op_with_buf(r, 64), *got;
	uint32_t old_life;
	int p[2];

	ASSERT_EQ(pipe(p), 0);
	rc_op_prep_nop(op);
	rc_op_submit(op);
	ASSERT_EQ(rc_ring_wait(r, 1, 2000), 1);
	ASSERT_TRUE(rc_ring_next(r) == op);
	old_life = rc_op_life(op);

	/* the record's next life: a read that stays in flight */
	rc_op_prep_read(op, p[0], 0, 64, (uint64_t)-1);
	rc_op_submit(op);
	ASSERT_GE(rc_ring_flush(r), 1);
	ASSERT_NE(rc_op_life(op), old_life);
	inject_cqe(r, user_data_of(op, old_life));
	ASSERT_EQ(rc_ring_wait(r, 1, 2000), 1);
	EXPECT_EQ(st->stale_cqes, 1);
	EXPECT_EQ(op->state, RC_OP_INFLIGHT);	/* not completed by it */
	EXPECT_TRUE(op->owner & RC_OWNER_KERNEL);
	EXPECT_TRUE(rc_ring_next(r) == NULL);

	/* the real completion still works */
	ASSERT_EQ(write(p[1], "hello", 5), 5);
	ASSERT_EQ(rc_ring_wait(r, 1, 2000), 1);
	got = rc_ring_next(r);
	ASSERT_TRUE(got == op);
	EXPECT_EQ(op->res, 5);
	rc_op_put(op);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
}

TEST(duplicate_cqe_after_completion_is_ignored)
{
	struct rc_ring *r = t_make_ring(0, NULL, NULL);
	const struct rc_ring_stats *st = rc_ring_stats(r);
	struct rc_op *op;

	ASSERT_EQ(rc_op_get(r, &op), 0);
	rc_op_prep_nop(op);
	rc_op_submit(op);
	ASSERT_EQ(rc_ring_wait(r, 1, 2000), 1);
	ASSERT_TRUE(rc_ring_next(r) == op);
	op->res = 12345;
	inject_cqe(r, user_data_of(op, rc_op_life(op)));	/* same life, again */
	ASSERT_EQ(rc_ring_wait(r, 1, 2000), 1);
	EXPECT_EQ(st->stale_cqes, 1);
	EXPECT_EQ(op->res, 12345);
	EXPECT_EQ(op->state, RC_OP_IDLE);
	EXPECT_TRUE(rc_ring_next(r) == NULL);
	rc_op_put(op);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
}

TEST(cqe_with_unknown_user_data_is_ignored)
{
	struct rc_ring *r = t_make_ring(0, NULL, NULL);
	const struct rc_ring_stats *st = rc_ring_stats(r);
	static char not_a_record[64] __attribute__((aligned(16)));

	inject_cqe(r, (uint64_t)(uintptr_t)not_a_record);
	inject_cqe(r, 0);
	ASSERT_GE(rc_ring_wait(r, 2, 2000), 1);
	rc_ring_wait(r, 0, 0);
	EXPECT_EQ(st->unknown_cqes, 2);
	EXPECT_EQ(st->cqes, 0);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
}

TEST(stray_cancel_and_timeout_answers_are_ignored)
{
	struct rc_ring *r = t_make_ring(0, NULL, NULL);
	const struct rc_ring_stats *st = rc_ring_stats(r);
	struct rc_op *op;

	ASSERT_EQ(rc_op_get(r, &op), 0);
	rc_op_prep_nop(op);
	rc_op_submit(op);
	ASSERT_EQ(rc_ring_wait(r, 1, 2000), 1);
	ASSERT_TRUE(rc_ring_next(r) == op);
	/* answers nobody asked for: a cancel's, a timeout's */
	inject_cqe(r, rc_op_user_data(op, RC_UD_CANCEL));
	inject_cqe(r, rc_op_user_data(op, RC_UD_TIMEOUT));
	ASSERT_GE(rc_ring_wait(r, 2, 2000), 1);
	rc_ring_wait(r, 0, 0);
	EXPECT_EQ(st->stale_cqes, 2);
	EXPECT_EQ(st->cancel_res_ok, 0);
	EXPECT_EQ(st->link_timeout_cqes, 0);
	EXPECT_EQ(rc_ring_drain(r, 100), 0);	/* nothing counted as due */
	rc_op_put(op);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
}
