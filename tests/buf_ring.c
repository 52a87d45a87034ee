/* SPDX-License-Identifier: MIT */
/*
 * Description: the ring strategy provides a buffer ring.  A read of an op
 * holding no buffer goes out with IOSQE_BUFFER_SELECT and no address; its
 * CQE names the buffer the kernel picked, which the engine attaches to
 * the op with the data in it.  The buffer goes back into the ring when
 * the op prepares its next read or is put, and a cancelled read that
 * completed anyway gives its buffer back too (compio #746): teardown
 * finds every buffer in the ring.  An empty ring answers -ENOBUFS.
 */
#include "buftest.h"

static struct rc_op *select_read(struct rc_ring *r, int fd, uint32_t len,
				 uint64_t off)
{
	struct rc_op *op;

	ASSERT_EQ(rc_op_get(r, &op), 0);
	ASSERT_EQ(rc_op_prep_read(op, fd, 0, len, off), 0);
	EXPECT_TRUE(op->buf_select);
	ASSERT_EQ(rc_op_submit(op), 0);
	return op;
}

TEST(the_kernel_picks_the_buffer_and_the_op_gets_it)
{
	struct rc_ring *r = t_strategy_ring("ring", 4, 8192);
	struct rc_op *op, *got;
	char expect[4096];
	int src, dst;

	ASSERT_TRUE(rc_ring_buf_select(r));
	EXPECT_EQ(t_sqe_log.provides, 4);
	t_file_pair(8192, &src, &dst);
	ASSERT_EQ(pread(src, expect, sizeof(expect), 4096), 4096);
	op = select_read(r, src, 4096, 4096);
	got = t_wait_op(r);
	ASSERT_TRUE(got == op);
	EXPECT_EQ(op->res, 4096);
	ASSERT_EQ(t_sqe_log.n, 1);
	EXPECT_EQ(t_sqe_log.sqe[0].opcode, IORING_OP_READ);
	EXPECT_TRUE(t_sqe_log.sqe[0].flags & IOSQE_BUFFER_SELECT);
	EXPECT_EQ(t_sqe_log.sqe[0].addr, 0);
	EXPECT_TRUE(op->cqe_flags & IORING_CQE_F_BUFFER);
	ASSERT_TRUE(op->buf != NULL);
	EXPECT_EQ(op->buf_size, 8192);
	EXPECT_EQ(memcmp(op->buf, expect, 4096), 0);
	EXPECT_EQ(t_sqe_log.selects, 1);
	/* the pump's write sends it */
	ASSERT_EQ(rc_op_prep_write(op, dst, 0, 4096, 0), 0);
	ASSERT_EQ(rc_op_submit(op), 0);
	ASSERT_TRUE(t_wait_op(r) == op);
	EXPECT_EQ(op->res, 4096);
	/* the next read gives it back first */
	ASSERT_EQ(rc_op_prep_read(op, src, 0, 4096, 0), 0);
	EXPECT_EQ(t_sqe_log.provides, 5);
	EXPECT_TRUE(op->buf == NULL);
	rc_op_put(op);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
	EXPECT_EQ(t_sqe_log.lost, 0);
	EXPECT_EQ(t_sqe_log.reclaims, 4);
	close(src);
	close(dst);
}

TEST(cancelled_reads_that_completed_give_their_buffers_back)
{
	struct rc_ring *r = t_strategy_ring("ring", 4, 4096);
	struct rc_op *ops[4];
	int src, dst, i;

	t_file_pair(16384, &src, &dst);
	for (i = 0; i < 4; i++)
		ops[i] = select_read(r, src, 4096, (uint64_t)i * 4096);
	EXPECT_GE(rc_ring_flush(r), 0);
	for (i = 0; i < 200 && io_uring_cq_ready(rc_ring_uring(r)) < 4; i++)
		usleep(1000);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(rc_op_cancel(ops[i]), 0);
	EXPECT_EQ(rc_ring_drain(r, 2000), 0);
	EXPECT_EQ(t_sqe_log.selects, 4);
	EXPECT_EQ(t_sqe_log.provides, 8);	/* 4 at setup, 4 given back */
	EXPECT_EQ(rc_ring_stats(r)->halt_read_bytes, 16384);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
	EXPECT_EQ(t_sqe_log.lost, 0);
	EXPECT_EQ(t_sqe_log.reclaims, 4);
	close(src);
	close(dst);
}

TEST(an_empty_ring_answers_enobufs)
{
	struct rc_ring *r = t_strategy_ring("ring", 1, 4096);
	struct rc_op *a, *b;
	int src, dst;

	t_file_pair(8192, &src, &dst);
	a = select_read(r, src, 4096, 0);
	ASSERT_TRUE(t_wait_op(r) == a);
	EXPECT_EQ(a->res, 4096);
	b = select_read(r, src, 4096, 4096);	/* a holds the only one */
	ASSERT_TRUE(t_wait_op(r) == b);
	EXPECT_EQ(b->res, -ENOBUFS);
	EXPECT_TRUE(b->buf == NULL);
	rc_op_put(a);				/* back into the ring */
	ASSERT_EQ(rc_op_prep_read(b, src, 0, 4096, 4096), 0);
	ASSERT_EQ(rc_op_submit(b), 0);
	ASSERT_TRUE(t_wait_op(r) == b);
	EXPECT_EQ(b->res, 4096);
	rc_op_put(b);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
	EXPECT_EQ(t_sqe_log.lost, 0);
	close(src);
	close(dst);
}

TEST(reads_into_the_ops_own_buffer_stay_plain)
{
	struct rc_ring *r = t_strategy_ring("ring", 2, 4096);
	struct rc_op *op = t_op_with_buf(r, 4096);
	int src, dst;

	t_file_pair(4096, &src, &dst);
	ASSERT_EQ(rc_op_prep_read(op, src, 0, 4096, 0), 0);
	EXPECT_TRUE(!op->buf_select);
	ASSERT_EQ(rc_op_submit(op), 0);
	ASSERT_TRUE(t_wait_op(r) == op);
	EXPECT_EQ(op->res, 4096);
	EXPECT_TRUE(!(t_sqe_log.sqe[0].flags & IOSQE_BUFFER_SELECT));
	EXPECT_EQ(t_sqe_log.selects, 0);
	rc_op_put(op);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
	close(src);
	close(dst);
}

TEST(a_pump_with_fewer_ring_buffers_than_slots_still_copies)
{
	const size_t len = 1024 * 1024 + 17;
	struct rc_ring *r = t_strategy_ring("ring", 2, 16384);
	int src, dst;

	t_file_pair(len, &src, &dst);
	EXPECT_EQ(t_pump_copy(r, src, dst, len, 8, 16384), (int64_t)len);
	EXPECT_TRUE(t_same_data(src, dst, len));
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
	EXPECT_EQ(t_sqe_log.lost, 0);
	close(src);
	close(dst);
}
