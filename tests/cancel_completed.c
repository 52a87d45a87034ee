/* SPDX-License-Identifier: MIT */
/*
 * Description: cancel an op the kernel is already done with, in each state
 * on the engine's side: CQE posted but not reaped (the cancel answers
 * -ENOENT and the op's CQE releases it, its effects accounted: bytes
 * written, an openat's fd closed), reaped but not handed to the caller,
 * queued but never submitted, and idle.
 */
#include "testutil.h"

TEST(cancel_after_cqe_posted_write_is_accounted)
{
	static struct t_recorder rec;
	struct rc_ring *r = t_make_ring(0, &rec, NULL);
	const struct rc_ring_stats *st = rc_ring_stats(r);
	struct rc_op *op = t_op_with_buf(r, 4096);
	char path[64], back[4096];
	int fd = t_temp_file(path, sizeof(path), 0, 0), cqe;

	unlink(path);
	memset(op->buf, 'X', 4096);
	ASSERT_EQ(rc_op_prep_write(op, fd, 0, 4096, 0), 0);
	ASSERT_EQ(rc_op_submit(op), 0);
	ASSERT_GE(rc_ring_flush(r), 1);
	t_wait_cq_ready(r, 1);
	ASSERT_EQ(rc_op_cancel(op), 0);
	EXPECT_EQ(st->cancel_sqes, 1);	/* in flight for the engine */
	ASSERT_EQ(rc_ring_drain(r, 2000), 0);
	EXPECT_EQ(st->cancel_res_enoent, 1);
	cqe = t_rec_find(&rec, RC_EV_CQE, op, NULL, 0);
	ASSERT_GE(cqe, 0);
	EXPECT_EQ(rec.ev[cqe].res, 4096);
	EXPECT_GT(t_rec_find(&rec, RC_EV_RELEASE, op, NULL, 0), cqe);
	EXPECT_EQ(st->halt_write_bytes, 4096);
	EXPECT_EQ(pread(fd, back, sizeof(back), 0), 4096);
	EXPECT_EQ(back[4095], 'X');
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
	close(fd);
}

TEST(cancel_after_cqe_posted_openat_fd_is_closed)
{
	struct rc_ring *r = t_make_ring(0, NULL, NULL);
	const struct rc_ring_stats *st = rc_ring_stats(r);
	char path[64];
	struct rc_op *op;
	unsigned fds_before;
	int fd = t_temp_file(path, sizeof(path), 10, 'o');

	close(fd);
	fds_before = t_count_open_fds();
	ASSERT_EQ(rc_op_get(r, &op), 0);
	ASSERT_EQ(rc_op_prep_openat(op, AT_FDCWD, path, O_RDONLY, 0), 0);
	ASSERT_EQ(rc_op_submit(op), 0);
	ASSERT_GE(rc_ring_flush(r), 1);
	t_wait_cq_ready(r, 1);
	EXPECT_EQ(t_count_open_fds(), fds_before + 1);	/* the kernel opened it */
	ASSERT_EQ(rc_op_cancel(op), 0);
	ASSERT_EQ(rc_ring_drain(r, 2000), 0);
	EXPECT_EQ(st->halt_fds_closed, 1);
	EXPECT_EQ(t_count_open_fds(), fds_before);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
	unlink(path);
}

TEST(cancel_reaped_not_delivered_releases_now)
{
	struct rc_ring *r = t_make_ring(0, NULL, NULL);
	const struct rc_ring_stats *st = rc_ring_stats(r);
	struct rc_op *op = t_op_with_buf(r, 4096);
	char path[64];
	int fd = t_temp_file(path, sizeof(path), 0, 0);

	unlink(path);
	ASSERT_EQ(rc_op_prep_write(op, fd, 0, 4096, 0), 0);
	ASSERT_EQ(rc_op_submit(op), 0);
	ASSERT_EQ(rc_ring_wait(r, 1, 2000), 1);	/* reaped, on the ready list */
	ASSERT_EQ(op->state, RC_OP_READY);
	ASSERT_EQ(rc_op_cancel(op), 0);
	EXPECT_EQ(st->cancels_released_now, 1);
	EXPECT_EQ(st->cancel_sqes, 0);
	EXPECT_EQ(st->released, 1);
	EXPECT_EQ(st->halt_write_bytes, 4096);
	EXPECT_TRUE(rc_ring_next(r) == NULL);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
	close(fd);
}

TEST(cancel_before_submit_releases_now_and_nothing_runs)
{
	struct rc_ring *r = t_make_ring(0, NULL, NULL);
	const struct rc_ring_stats *st = rc_ring_stats(r);
	struct rc_op *op = t_op_with_buf(r, 4096);
	char path[64];
	int fd = t_temp_file(path, sizeof(path), 0, 0);
	struct stat sb;

	unlink(path);
	ASSERT_EQ(rc_op_prep_write(op, fd, 0, 4096, 0), 0);
	ASSERT_EQ(rc_op_submit(op), 0);
	ASSERT_EQ(rc_ring_queued(r), 1);
	ASSERT_EQ(rc_op_cancel(op), 0);
	EXPECT_EQ(rc_ring_queued(r), 0);
	EXPECT_EQ(st->released, 1);
	EXPECT_EQ(rc_ring_flush(r), 0);
	EXPECT_EQ(st->ops_submitted, 0);
	ASSERT_EQ(fstat(fd, &sb), 0);
	EXPECT_EQ(sb.st_size, 0);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
	close(fd);
}

TEST(cancel_queued_linked_head_fails_rest_of_chain)
{
	struct rc_ring *r = t_make_ring(0, NULL, NULL);
	struct rc_op *a, *b, *c, *got;

	ASSERT_EQ(rc_op_get(r, &a), 0);
	ASSERT_EQ(rc_op_get(r, &b), 0);
	ASSERT_EQ(rc_op_get(r, &c), 0);
	rc_op_prep_nop(a);
	rc_op_set_flags(a, IOSQE_IO_LINK);
	rc_op_prep_nop(b);
	rc_op_prep_nop(c);
	rc_op_submit(a);
	rc_op_submit(b);
	rc_op_submit(c);
	ASSERT_EQ(rc_op_cancel(a), 0);
	got = rc_ring_next(r);
	ASSERT_TRUE(got == b);
	EXPECT_EQ(b->res, -ECANCELED);
	EXPECT_EQ(rc_ring_queued(r), 1);	/* c was not in the chain */
	ASSERT_EQ(rc_ring_wait(r, 1, 2000), 1);
	got = rc_ring_next(r);
	ASSERT_TRUE(got == c);
	EXPECT_EQ(c->res, 0);
	rc_op_put(b);
	rc_op_put(c);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
}

TEST(cancel_idle_op_releases_it)
{
	struct rc_ring *r = t_make_ring(0, NULL, NULL);
	struct rc_op *op = t_op_with_buf(r, 4096);

	EXPECT_EQ(rc_op_cancel(op), 0);
	EXPECT_EQ(rc_ring_stats(r)->released, 1);
	EXPECT_EQ(rc_op_cancel(op), -EINVAL);	/* not the caller's any more */
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
}
