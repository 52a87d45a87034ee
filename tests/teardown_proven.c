/* SPDX-License-Identifier: MIT */
/*
 * Description: a teardown whose drain fails but whose barrier proves the
 * ring gone frees what its ops still had in flight (their CQEs went with
 * the ring); the harness must take the proof as the end of those ops'
 * loans: no "freed while the kernel owns it", and closing the fds they
 * named afterwards is no violation either (the fd ledger must not even
 * look at the freed records).  Found by the lifecycle fuzzer (fuzz/): a
 * read with IOSQE_IO_DRAIN held in a pipe, whose ASYNC_CANCEL the kernel
 * keeps behind it, so only the ring's exit ends it.  Its buffer, poisoned
 * for ASan while the kernel had it, is the program's again then too.
 */
#include <fcntl.h>

#include "harness.h"
#include "testutil.h"

static void held_read_then_teardown(unsigned flags, int drain_ms,
				    const char *buffers)
{
	struct rh_harness_opts o = { .scenario = "teardown_proven",
				     .quiet = true, .no_witness = true,
				     .buffers = buffers };
	struct rc_ring_params p = { .entries = 8 };
	struct rc_ring *r;
	struct rc_op *op;
	void *buf;
	int fds[2], ret;

	ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
	rh_harness_start(&o);
	rh_harness_ring_params(&p);
	if (rc_ring_create(&r, &p))
		SKIP("io_uring unavailable");
	ASSERT_EQ(rc_op_get(r, &op), 0);
	ASSERT_EQ(rc_buf_get(r, 4096, &buf), 0);
	ASSERT_EQ(rc_op_set_buf(op, buf, 4096), 0);
	ASSERT_EQ(rc_op_prep_read(op, fds[0], 0, 4096, (uint64_t)-1), 0);
	if (flags)
		ASSERT_EQ(rc_op_set_flags(op, flags), 0);
	ASSERT_EQ(rc_op_submit(op), 0);
	ASSERT_GE(rc_ring_flush(r), 1);
	rh_harness_add_ring(r);
	ret = rc_ring_destroy(r, drain_ms);
	if (ret == -ETIMEDOUT)	/* leaked on purpose: its fds stay open */
		SKIP("the kernel did not free the ring within the barrier's "
		     "wait (a loaded machine): no proven teardown to check");
	EXPECT_EQ(ret, 0);	/* proven gone */
	close(fds[0]);
	close(fds[1]);
	EXPECT_EQ(rh_harness_finish(), 0);
}

TEST(held_read_freed_after_the_proof_without_a_drain)
{
	held_read_then_teardown(0, 0, "heap");
}

TEST(drain_flagged_read_whose_cancel_waits_behind_it)
{
	held_read_then_teardown(IOSQE_IO_DRAIN, 200, "heap");
}

/* A pool keeps the buffer: in trace builds it poisons it on the way in,
 * which ASan must allow (the harness poisoned it for the kernel's loan). */
TEST(drain_flagged_read_of_a_pool_buffer)
{
	held_read_then_teardown(IOSQE_IO_DRAIN, 200, "pool");
}
