/* SPDX-License-Identifier: MIT */
/*
 * Description: cancelling by fd (async, synchronous, and matching any op)
 * on a fallback ring, which has no io_uring behind it.  The fallback runs
 * every op at once, so there is nothing in the kernel to ask: queued ops
 * of the fd are given up and released, the others run, and no call may
 * touch a submission queue that does not exist.  Found by the lifecycle
 * fuzzer (fuzz/): rc_ring_cancel_fd dereferenced the fallback ring's empty
 * SQ (a NULL read).
 */
#include <fcntl.h>

#include "testutil.h"

static struct rc_ring *sync_ring(struct t_recorder *rec)
{
	struct rc_ring_params p = {
		.trace = t_rec_trace,
		.trace_arg = rec,
	};
	struct rc_ring *r = NULL;

	ASSERT_EQ(rc_ring_create_sync(&r, &p), 0);
	return r;
}

/* Two queued reads of /dev/zero, one of /dev/null; cancel(fd) of the
 * first: both of its ops are given up, the other one runs. */
static void cancel_on_fallback(bool sync_cancel, bool any)
{
	static struct t_recorder rec;
	struct rc_ring *r;
	struct rc_op *ops[3], *got;
	int zero = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int i, n, back = 0;

	memset(&rec, 0, sizeof(rec));
	r = sync_ring(&rec);
	ASSERT_GE(zero, 0);
	ASSERT_GE(null, 0);
	for (i = 0; i < 3; i++) {
		ops[i] = t_op_with_buf(r, 512);
		ASSERT_EQ(rc_op_prep_read(ops[i], i < 2 ? zero : null, 0, 512,
					  0), 0);
		ASSERT_EQ(rc_op_submit(ops[i]), 0);
	}
	n = sync_cancel ? rc_ring_cancel_fd_sync(r, any ? -1 : zero, 100) :
			  rc_ring_cancel_fd(r, any ? -1 : zero);
	EXPECT_EQ(n, any ? 3 : 2);
	ASSERT_GE(rc_ring_wait(r, 0, 0), 0);
	while ((got = rc_ring_next(r))) {
		EXPECT_TRUE(got == ops[2]);
		EXPECT_EQ(got->res, 0);		/* /dev/null: end of file */
		rc_op_put(got);
		back++;
	}
	EXPECT_EQ(back, any ? 0 : 1);
	EXPECT_EQ(rc_ring_stats(r)->released, 3);
	EXPECT_EQ(rc_ring_inflight(r), 0);
	EXPECT_EQ(rc_ring_destroy(r, 1000), 0);
	close(zero);
	close(null);
}

TEST(cancel_fd_on_a_fallback_ring)
{
	cancel_on_fallback(false, false);
}

TEST(cancel_any_on_a_fallback_ring)
{
	cancel_on_fallback(false, true);
}

TEST(sync_cancel_fd_on_a_fallback_ring)
{
	cancel_on_fallback(true, false);
}

TEST(sync_cancel_any_on_a_fallback_ring)
{
	cancel_on_fallback(true, true);
}
