/* SPDX-License-Identifier: MIT */
/*
 * Description: a wait for an op the ring hands back
 * (rh_scenario_wait_op) is not ended by CQEs the engine keeps for itself.
 * An op given up in flight and its cancel answer during the wait; the
 * engine reaps both and hands back neither, so rc_ring_wait returns 2
 * with nothing for the program.  The wait goes on for its whole timeout
 * while the other op is in flight, and returns that op once it answers.
 * (The fuzzer's splice step took one rc_ring_wait with nothing handed
 * back for "no CQE for 10 s", after 0 ms: the aborted pump's pairs.)
 */
#include "testutil.h"
#include "scenario.h"

#define WAIT_MS	300

TEST(engine_own_cqes_do_not_end_the_wait_for_an_op)
{
	struct rc_ring *r = t_make_ring(0, NULL, NULL);
	const struct rc_ring_stats *st = rc_ring_stats(r);
	struct rc_op *given_up = t_op_with_buf(r, 64);
	struct rc_op *kept = t_op_with_buf(r, 64), *got = NULL;
	uint64_t t0, waited_ms;
	int a[2], b[2];

	ASSERT_EQ(pipe(a), 0);
	ASSERT_EQ(pipe(b), 0);
	/* two reads of empty pipes: poll-armed, in flight until told */
	ASSERT_EQ(rc_op_prep_read(given_up, a[0], 0, 64, (uint64_t)-1), 0);
	ASSERT_EQ(rc_op_submit(given_up), 0);
	ASSERT_EQ(rc_op_prep_read(kept, b[0], 0, 64, (uint64_t)-1), 0);
	ASSERT_EQ(rc_op_submit(kept), 0);
	ASSERT_EQ(rc_ring_flush(r), 2);
	/* given up: its cancel goes out with the wait's flush; its CQE
	 * (-ECANCELED) and the cancel's (0) are the engine's */
	ASSERT_EQ(rc_op_cancel(given_up), 0);

	t0 = rc_now_ns();
	EXPECT_EQ(rh_scenario_wait_op(r, WAIT_MS, &got), -ETIME);
	waited_ms = (rc_now_ns() - t0) / 1000000;
	EXPECT_TRUE(got == NULL);
	EXPECT_EQ(st->cancel_res_ok, 1);	/* those CQEs were reaped */
	EXPECT_EQ(rc_ring_inflight(r), 1);	/* the kept read */
	EXPECT_GE(waited_ms, WAIT_MS - 10);	/* not ended by them */

	ASSERT_EQ(write(b[1], "hello", 5), 5);
	EXPECT_EQ(rh_scenario_wait_op(r, 2000, &got), 0);
	ASSERT_TRUE(got == kept);
	EXPECT_EQ(kept->res, 5);
	rc_op_put(kept);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
}
