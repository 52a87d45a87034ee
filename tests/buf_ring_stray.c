/* SPDX-License-Identifier: MIT */
/*
 * Description: a ring buffer named by a CQE the engine does not act on is
 * never dropped.  A stale CQE that took a buffer from the ring gives it
 * back (the ring does not run dry); a CQE naming a buffer the ring did not
 * lend is reported (traced as lost, counted) and its op comes back
 * -ENOBUFS with no buffer rather than with data nobody can find.
 */
#include "buftest.h"

/* A buffer-select read of fd straight through liburing, as op's CQE. */
static void raw_select_read(struct rc_ring *r, int fd, unsigned group,
			    uint64_t user_data)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(rc_ring_uring(r));

	ASSERT_TRUE(sqe != NULL);
	io_uring_prep_read(sqe, fd, NULL, 4096, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = (__u16)group;
	io_uring_sqe_set_data64(sqe, user_data);
}

static struct rc_op *select_read(struct rc_ring *r, int fd, uint64_t off)
{
	struct rc_op *op;

	ASSERT_EQ(rc_op_get(r, &op), 0);
	ASSERT_EQ(rc_op_prep_read(op, fd, 0, 4096, off), 0);
	ASSERT_TRUE(op->buf_select);
	ASSERT_EQ(rc_op_submit(op), 0);
	return op;
}

TEST(a_stale_cqe_that_took_a_ring_buffer_gives_it_back)
{
	struct rc_ring *r = t_strategy_ring("ring", 1, 4096);
	const struct rc_ring_stats *st = rc_ring_stats(r);
	struct rc_op *op, *rd;
	int src, dst;

	t_file_pair(8192, &src, &dst);
	ASSERT_EQ(rc_op_get(r, &op), 0);
	ASSERT_EQ(rc_op_prep_nop(op), 0);
	ASSERT_EQ(rc_op_submit(op), 0);
	ASSERT_TRUE(t_wait_op(r) == op);
	/* a read that takes the ring's only buffer, answering as op's CQE
	 * of a life already over: stale */
	raw_select_read(r, src, (unsigned)rc_ring_buf_group(r),
			rc_op_user_data(op, RC_UD_OP));
	ASSERT_EQ(io_uring_submit(rc_ring_uring(r)), 1);
	ASSERT_EQ(rc_ring_wait(r, 1, 2000), 1);
	EXPECT_EQ(st->stale_cqes, 1);
	EXPECT_EQ(t_sqe_log.provides, 2);	/* 1 at setup, 1 given back */
	/* so the next read finds it */
	rd = select_read(r, src, 4096);
	ASSERT_TRUE(t_wait_op(r) == rd);
	EXPECT_EQ(rd->res, 4096);
	rc_op_put(rd);
	rc_op_put(op);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
	EXPECT_EQ(t_sqe_log.lost, 0);
	close(src);
	close(dst);
}

TEST(a_cqe_naming_a_buffer_the_ring_did_not_lend_is_reported)
{
	static char other[4096];
	struct rc_ring *r = t_strategy_ring("ring", 2, 4096);
	struct io_uring_sqe *sqe;
	struct rc_op *op;
	int src, dst, p[2];

	t_file_pair(8192, &src, &dst);
	ASSERT_EQ(pipe(p), 0);
	/* op: a select read that waits on an empty pipe */
	op = select_read(r, p[0], (uint64_t)-1);
	ASSERT_GE(rc_ring_flush(r), 1);
	/* a buffer of another group (id 1000), and a read that picks it
	 * answering as op's CQE: the ring never lent that buffer */
	sqe = io_uring_get_sqe(rc_ring_uring(r));
	ASSERT_TRUE(sqe != NULL);
	io_uring_prep_provide_buffers(sqe, other, sizeof(other), 1, 99, 1000);
	sqe->flags |= IOSQE_IO_LINK;
	io_uring_sqe_set_data64(sqe, 0);
	raw_select_read(r, src, 99, rc_op_user_data(op, RC_UD_OP));
	ASSERT_EQ(io_uring_submit(rc_ring_uring(r)), 2);
	ASSERT_TRUE(t_wait_op(r) == op);
	TH_LOG("res %d, cqe flags 0x%x, buf %p", op->res, op->cqe_flags,
	       op->buf);
	ASSERT_TRUE(op->cqe_flags & IORING_CQE_F_BUFFER);
	EXPECT_EQ(op->cqe_flags >> IORING_CQE_BUFFER_SHIFT, 1000);
	EXPECT_TRUE(op->buf == NULL);
	EXPECT_EQ(op->res, -ENOBUFS);		/* no data without a buffer */
	EXPECT_EQ(t_sqe_log.lost, 1);		/* reported */
	rc_op_put(op);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
	EXPECT_EQ(t_sqe_log.lost, 1);		/* the ring's own all back */
	close(p[0]);
	close(p[1]);
	close(src);
	close(dst);
}
