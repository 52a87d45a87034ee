/* SPDX-License-Identifier: MIT */
/*
 * Description: the fixed strategy registers its table with the ring and
 * the engine turns reads and writes on a table buffer into READ_FIXED /
 * WRITE_FIXED with the buffer's index, transparently; a buffer larger
 * than a slot, or got while every slot is busy, is an ordinary one and
 * goes out as plain READ / WRITE.  A slot is handed out again only after
 * it was put.
 */
#include "buftest.h"

TEST(table_buffers_go_out_fixed_with_their_index)
{
	struct rc_ring *r = t_strategy_ring("fixed", 4, 16384);
	struct rc_op *op, *got;
	const void *base;
	size_t flen;
	int src, dst;

	t_file_pair(16384, &src, &dst);
	op = t_op_with_buf(r, 16384);
	ASSERT_EQ(rc_op_prep_read(op, src, 0, 16384, 0), 0);
	ASSERT_EQ(rc_op_submit(op), 0);
	got = t_wait_op(r);
	ASSERT_TRUE(got == op);
	EXPECT_EQ(op->res, 16384);
	ASSERT_EQ(t_sqe_log.n, 1);
	EXPECT_EQ(t_sqe_log.sqe[0].opcode, IORING_OP_READ_FIXED);
	ASSERT_EQ(rc_ring_fixed_buf(r, t_sqe_log.sqe[0].buf_index, &base, &flen),
		  0);
	EXPECT_TRUE(base == op->buf);
	EXPECT_EQ(flen, 16384);
	EXPECT_EQ(op->opcode, IORING_OP_READ);	/* the caller's view */
	ASSERT_EQ(rc_op_prep_write(op, dst, 100, 1000, 0), 0);
	ASSERT_EQ(rc_op_submit(op), 0);
	got = t_wait_op(r);
	ASSERT_TRUE(got == op);
	EXPECT_EQ(op->res, 1000);
	EXPECT_EQ(t_sqe_log.sqe[1].opcode, IORING_OP_WRITE_FIXED);
	EXPECT_EQ(t_sqe_log.sqe[1].addr, (uint64_t)(uintptr_t)op->buf + 100);
	EXPECT_EQ(rc_ring_stats(r)->reads_fixed, 1);
	EXPECT_EQ(rc_ring_stats(r)->writes_fixed, 1);
	rc_op_put(op);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
	close(src);
	close(dst);
}

TEST(other_buffers_go_out_plain)
{
	struct rc_ring *r = t_strategy_ring("fixed", 1, 4096);
	struct rc_op *slot, *big, *extra;
	int src, dst;

	t_file_pair(8192, &src, &dst);
	slot = t_op_with_buf(r, 4096);	/* the only slot */
	extra = t_op_with_buf(r, 4096);	/* table full */
	big = t_op_with_buf(r, 8192);	/* larger than a slot */
	rc_op_prep_read(slot, src, 0, 4096, 0);
	rc_op_prep_read(extra, src, 0, 4096, 0);
	rc_op_prep_read(big, src, 0, 8192, 0);
	rc_op_submit(slot);
	rc_op_submit(extra);
	rc_op_submit(big);
	EXPECT_GE(rc_ring_flush(r), 0);
	EXPECT_EQ(rc_ring_drain(r, 2000), 0);
	ASSERT_EQ(t_sqe_log.n, 3);
	EXPECT_EQ(t_sqe_log.sqe[0].opcode, IORING_OP_READ_FIXED);
	EXPECT_EQ(t_sqe_log.sqe[1].opcode, IORING_OP_READ);
	EXPECT_EQ(t_sqe_log.sqe[2].opcode, IORING_OP_READ);
	while (rc_ring_next(r))
		;
	rc_op_put(slot);
	rc_op_put(extra);
	rc_op_put(big);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
	close(src);
	close(dst);
}

TEST(a_slot_is_handed_out_again_only_after_its_put)
{
	struct rc_ring *r = t_strategy_ring("fixed", 2, 4096);
	void *a, *b, *c, *d;

	ASSERT_EQ(rc_buf_get(r, 4096, &a), 0);
	ASSERT_EQ(rc_buf_get(r, 4096, &b), 0);
	ASSERT_EQ(rc_buf_get(r, 4096, &c), 0);	/* not a slot */
	EXPECT_TRUE(a != b && c != a && c != b);
	rc_buf_put(r, a, 4096);
	ASSERT_EQ(rc_buf_get(r, 4096, &d), 0);
	EXPECT_TRUE(d == a);
	rc_buf_put(r, b, 4096);
	rc_buf_put(r, c, 4096);
	rc_buf_put(r, d, 4096);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
}
