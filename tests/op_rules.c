/* SPDX-License-Identifier: MIT */
/*
 * Description: requests the protocol cannot keep are refused up front: SQE
 * flags that change what the kernel reads or whether a CQE comes
 * (CQE_SKIP_SUCCESS, BUFFER_SELECT, FIXED_FILE), ring setups that change
 * how CQEs are reaped (SQPOLL, IOPOLL), and a linked chain longer than the
 * SQ (it comes back -EINVAL instead of blocking the queue).
 */
#include "testutil.h"

TEST(sqe_flags_outside_the_protocol_are_refused)
{
	struct rc_ring *r = t_make_ring(0, NULL, NULL);
	struct rc_op *op;

	ASSERT_EQ(rc_op_get(r, &op), 0);
	rc_op_prep_nop(op);
	EXPECT_EQ(rc_op_set_flags(op, IOSQE_CQE_SKIP_SUCCESS), -EINVAL);
	EXPECT_EQ(rc_op_set_flags(op, IOSQE_BUFFER_SELECT), -EINVAL);
	EXPECT_EQ(rc_op_set_flags(op, IOSQE_FIXED_FILE), -EINVAL);
	EXPECT_EQ(rc_op_set_flags(op, IOSQE_ASYNC | IOSQE_IO_HARDLINK), 0);
	rc_op_put(op);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
}

TEST(ring_setups_outside_the_protocol_are_refused)
{
	struct rc_ring_params p = { .setup_flags = IORING_SETUP_SQPOLL };
	struct rc_ring *r = NULL;

	EXPECT_EQ(rc_ring_create(&r, &p), -EINVAL);
	p.setup_flags = IORING_SETUP_IOPOLL;
	EXPECT_EQ(rc_ring_create(&r, &p), -EINVAL);
	EXPECT_TRUE(r == NULL);
}

TEST(chain_longer_than_the_sq_fails_and_does_not_block_the_queue)
{
	struct rc_ring *r = t_make_ring(4, NULL, NULL);
	struct rc_op *ops[6], *got;
	int i, chain_failed = 0, after_ok = 0;

	for (i = 0; i < 6; i++) {
		ASSERT_EQ(rc_op_get(r, &ops[i]), 0);
		rc_op_prep_nop(ops[i]);
		if (i < 4)	/* ops 0..4 form a chain of 5 */
			rc_op_set_flags(ops[i], IOSQE_IO_LINK);
		rc_op_submit(ops[i]);
	}
	while (chain_failed + after_ok < 6) {
		ASSERT_GE(rc_ring_wait(r, 1, 2000), 0);
		while ((got = rc_ring_next(r))) {
			if (got == ops[5])
				after_ok += got->res == 0;
			else
				chain_failed += got->res == -EINVAL;
		}
	}
	EXPECT_EQ(chain_failed, 5);
	EXPECT_EQ(after_ok, 1);
	for (i = 0; i < 6; i++)
		rc_op_put(ops[i]);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
}
