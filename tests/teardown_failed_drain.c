/* SPDX-License-Identifier: MIT */
/*
 * Description: a teardown whose drain fails (here: no time given, so it
 * gives up at once) but whose barrier still proves the ring gone frees the
 * records only after the completions already posted were acted on: a
 * cancelled openat that completed has its fd closed, a CLOSE cancelled
 * before it ran has its fd closed, and every path copy is freed (path2
 * too: LeakSanitizer checks it in the ASan build).
 */
#include <fcntl.h>

#include "testutil.h"

/* Is fd open in this process? */
static bool fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

TEST(completed_openat_fd_is_closed_when_the_drain_fails)
{
	static struct t_recorder rec;
	struct rc_ring *r = t_make_ring(0, &rec, NULL);
	unsigned fds_before = t_count_open_fds();
	struct rc_op *op;

	ASSERT_EQ(rc_op_get(r, &op), 0);
	ASSERT_EQ(rc_op_prep_openat(op, AT_FDCWD, "/dev/null", O_RDONLY |
				    O_CLOEXEC, 0), 0);
	ASSERT_EQ(rc_op_submit(op), 0);
	ASSERT_GE(rc_ring_flush(r), 1);
	t_wait_cq_ready(r, 1);			/* opened, not reaped */
	EXPECT_EQ(t_count_open_fds(), fds_before + 1);
	EXPECT_EQ(rc_ring_destroy(r, 0), 0);	/* proven gone */
	EXPECT_EQ(rec.count[RC_EV_HALT], 1);
	EXPECT_EQ(t_count_open_fds(), fds_before - 1);	/* and the ring's */
}

TEST(close_cancelled_before_it_ran_is_closed_when_the_drain_fails)
{
	struct rc_ring *r = t_make_ring(0, NULL, NULL);
	struct rc_op *rd = t_op_with_buf(r, 64), *cl;
	int p[2], fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(pipe(p), 0);
	/* a pipe read that waits, and a close linked behind it */
	ASSERT_EQ(rc_op_prep_read(rd, p[0], 0, 64, (uint64_t)-1), 0);
	ASSERT_EQ(rc_op_set_flags(rd, IOSQE_IO_LINK), 0);
	ASSERT_EQ(rc_op_get(r, &cl), 0);
	ASSERT_EQ(rc_op_prep_close(cl, fd), 0);
	ASSERT_EQ(rc_op_submit(rd), 0);
	ASSERT_EQ(rc_op_submit(cl), 0);
	ASSERT_GE(rc_ring_flush(r), 2);
	/* the read cancelled: it and the close behind it end -ECANCELED */
	ASSERT_EQ(rc_op_cancel(rd), 0);
	ASSERT_GE(rc_ring_flush(r), 1);
	t_wait_cq_ready(r, 3);			/* read, close, cancel answer */
	EXPECT_TRUE(fd_open(fd));		/* the close never ran */
	EXPECT_EQ(rc_ring_destroy(r, 0), 0);
	EXPECT_FALSE(fd_open(fd));
	close(p[0]);
	close(p[1]);
}

TEST(path_copies_are_freed_when_the_drain_fails)
{
	struct rc_ring *r = t_make_ring(0, NULL, NULL);
	struct rc_op *rd = t_op_with_buf(r, 64), *ln, *idle;
	int p[2];

	ASSERT_EQ(pipe(p), 0);
	/* a linkat behind a pipe read, both cancelled, their CQEs posted */
	ASSERT_EQ(rc_op_prep_read(rd, p[0], 0, 64, (uint64_t)-1), 0);
	ASSERT_EQ(rc_op_set_flags(rd, IOSQE_IO_LINK), 0);
	ASSERT_EQ(rc_op_get(r, &ln), 0);
	ASSERT_EQ(rc_op_prep_linkat(ln, AT_FDCWD, "/nonexistent/a",
				    AT_FDCWD, "/nonexistent/b", 0), 0);
	ASSERT_EQ(rc_op_submit(rd), 0);
	ASSERT_EQ(rc_op_submit(ln), 0);
	ASSERT_GE(rc_ring_flush(r), 2);
	ASSERT_EQ(rc_op_cancel(rd), 0);
	ASSERT_GE(rc_ring_flush(r), 1);
	t_wait_cq_ready(r, 3);
	/* and a renameat the caller still holds, never submitted */
	ASSERT_EQ(rc_op_get(r, &idle), 0);
	ASSERT_EQ(rc_op_prep_renameat(idle, AT_FDCWD, "/nonexistent/c",
				      AT_FDCWD, "/nonexistent/d", 0), 0);
	EXPECT_EQ(rc_ring_destroy(r, 0), 0);
	close(p[0]);
	close(p[1]);
}
