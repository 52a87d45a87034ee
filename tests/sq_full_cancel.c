/* SPDX-License-Identifier: MIT */
/*
 * Description: cancelling more in-flight ops than the SQ has entries.
 * Each ASYNC_CANCEL that finds the SQ full submits what is there and
 * retries; every op still ends with its own -ECANCELED CQE.
 */
#include "testutil.h"

#define NOPS 32

TEST(cancel_all_with_sq_of_4_entries)
{
	static struct t_recorder rec;
	struct rc_ring *r = t_make_ring(4, &rec, NULL);
	const struct rc_ring_stats *st = rc_ring_stats(r);
	struct rc_op *ops[NOPS];
	int p[2], i;

	ASSERT_EQ(pipe(p), 0);
	for (i = 0; i < NOPS; i++) {
		ops[i] = t_op_with_buf(r, 512);
		rc_op_prep_read(ops[i], p[0], 0, 512, (uint64_t)-1);
		rc_op_submit(ops[i]);
	}
	ASSERT_GE(rc_ring_flush(r), 0);
	ASSERT_EQ(rc_ring_inflight(r), NOPS);	/* batches of 4 */
	for (i = 0; i < NOPS; i++)
		ASSERT_EQ(rc_op_cancel(ops[i]), 0);
	EXPECT_GE(st->cancel_sq_full_retries, NOPS / 4 - 1);
	EXPECT_EQ(st->cancel_sqes, NOPS);
	ASSERT_EQ(rc_ring_drain(r, 5000), 0);
	EXPECT_EQ(st->cancel_res_ok, NOPS);
	EXPECT_EQ(rec.count[RC_EV_CQE], NOPS);
	for (i = 0; i < (int)rec.n; i++)
		if (rec.ev[i].ev == RC_EV_CQE)
			EXPECT_EQ(rec.ev[i].res, -ECANCELED);
	EXPECT_EQ(st->released, NOPS);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
}
