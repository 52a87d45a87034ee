/* SPDX-License-Identifier: MIT */
/*
 * Description: a CLOSE linked behind a read that is cancelled never runs
 * (its chain fails: -ECANCELED).  The op owned its fd from the submit on
 * (rc_op_prep_close), so the engine closes the fd itself before handing
 * the op back, in flight (the kernel fails the link) and while still
 * queued (the engine fails the chain).  Found by the lifecycle fuzzer
 * (fuzz/): the fd was left open, with no one to close it.
 */
#include <fcntl.h>

#include "testutil.h"

static bool fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

static void close_behind_cancelled_read(bool flush_first)
{
	struct rc_ring *r = t_make_ring(8, NULL, NULL);
	struct rc_op *rd = t_op_with_buf(r, 512), *cl, *got;
	int p[2], fd, i, w, back = 0;

	ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	fd = fcntl(p[1], F_DUPFD_CLOEXEC, 0);	/* only the CLOSE names it */
	ASSERT_GE(fd, 0);
	ASSERT_EQ(rc_op_get(r, &cl), 0);
	ASSERT_EQ(rc_op_prep_read(rd, p[0], 0, 512, (uint64_t)-1), 0);
	ASSERT_EQ(rc_op_set_flags(rd, IOSQE_IO_LINK), 0);
	ASSERT_EQ(rc_op_prep_close(cl, fd), 0);
	ASSERT_EQ(rc_op_submit(rd), 0);
	ASSERT_EQ(rc_op_submit(cl), 0);
	if (flush_first)
		ASSERT_GE(rc_ring_flush(r), 0);	/* the read waits on the pipe */
	ASSERT_EQ(rc_op_cancel(rd), 0);
	for (i = 0; i < 20 && !back; i++) {
		w = rc_ring_wait(r, 1, 100);
		ASSERT_TRUE(w >= 0 || w == -ETIME);
		while ((got = rc_ring_next(r))) {
			EXPECT_TRUE(got == cl);
			EXPECT_EQ(got->res, -ECANCELED);
			EXPECT_FALSE(fd_open(fd));
			rc_op_put(got);
			back++;
		}
	}
	EXPECT_EQ(back, 1);
	EXPECT_EQ(rc_ring_drain(r, 2000), 0);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
	close(p[0]);
	close(p[1]);
}

TEST(close_linked_behind_a_cancelled_read_in_flight)
{
	close_behind_cancelled_read(true);
}

TEST(close_linked_behind_a_cancelled_read_still_queued)
{
	close_behind_cancelled_read(false);
}
