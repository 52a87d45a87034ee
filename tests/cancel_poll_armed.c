/* SPDX-License-Identifier: MIT */
/*
 * Description: cancel a poll-armed pipe read and a pipe write (pipe full).
 * The cancel answers 0, the op's own CQE is -ECANCELED, and the buffer is
 * given back only after that CQE.
 */
#include "testutil.h"

static void check_cancelled_poll_op(int fd, bool write_op)
{
	static struct t_recorder rec;
	struct rc_ring *r = t_make_ring(0, &rec, NULL);
	const struct rc_ring_stats *st = rc_ring_stats(r);
	struct rc_op *op = t_op_with_buf(r, 4096);
	const void *buf = op->buf;
	int cqe, put;

	if (write_op)
		ASSERT_EQ(rc_op_prep_write(op, fd, 0, 4096, (uint64_t)-1), 0);
	else
		ASSERT_EQ(rc_op_prep_read(op, fd, 0, 4096, (uint64_t)-1), 0);
	ASSERT_EQ(rc_op_submit(op), 0);
	ASSERT_GE(rc_ring_flush(r), 1);
	ASSERT_EQ(rc_ring_inflight(r), 1);
	ASSERT_EQ(rc_op_cancel(op), 0);
	/* nothing is freed by the cancel itself */
	EXPECT_EQ(rec.count[RC_EV_BUF_PUT], 0);
	ASSERT_EQ(rc_ring_drain(r, 2000), 0);

	EXPECT_EQ(st->cancel_res_ok, 1);
	cqe = t_rec_find(&rec, RC_EV_CQE, op, NULL, 0);
	ASSERT_GE(cqe, 0);
	EXPECT_EQ(rec.ev[cqe].res, -ECANCELED);
	put = t_rec_find(&rec, RC_EV_BUF_PUT, NULL, buf, 0);
	ASSERT_GT(put, cqe);
	EXPECT_EQ(st->released, 1);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
}

TEST(pipe_read_cancel_answers_0_and_op_gets_ecanceled)
{
	int p[2];

	ASSERT_EQ(pipe(p), 0);
	check_cancelled_poll_op(p[0], false);
}

TEST(pipe_write_cancel_answers_0_and_op_gets_ecanceled)
{
	char chunk[4096] = { 0 };
	int p[2];

	ASSERT_EQ(pipe(p), 0);
	/* fill the pipe so the write must wait for room */
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	while (write(p[1], chunk, sizeof(chunk)) > 0)
		;
	fcntl(p[1], F_SETFL, 0);
	check_cancelled_poll_op(p[1], true);
}
