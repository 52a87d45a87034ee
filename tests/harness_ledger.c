/* SPDX-License-Identifier: MIT */
/*
 * Description: the ledger's state machine on hand-made event sequences:
 * the legal life of a buffer (get, lend, CQE, put), and each way of
 * breaking it, reported as its own violation kind; a ring proven gone
 * ends the loans of what it had in flight.
 */
#include "ledger.h"
#include "testutil.h"

static struct rh_ledger l;
static struct rc_op op1, op2;
static char buf1[4096], buf2[4096];

static enum rh_violation_kind ev(enum rc_trace_event e, struct rc_op *op,
				 void *buf)
{
	return rh_ledger_event(&l, e, op, buf, buf ? 4096 : 0, 0);
}

/* The engine's side of a submit: the buffer goes in (the ledger expects
 * the CQE of the op's life at submit time). */
static enum rh_violation_kind submit(struct rc_op *op, void *buf)
{
	op->buf = buf;
	op->buf_size = 4096;
	return ev(RC_EV_SUBMIT, op, buf);
}

/* The op's own CQE, carrying the user_data of life `life` (the test
 * plays the engine here, which sets cqe_user_data). */
static enum rh_violation_kind cqe(struct rc_op *op, uint32_t life)
{
	op->cqe_user_data = rc_ud_encode(op, RC_UD_OP, life);
	return ev(RC_EV_CQE, op, op->buf);
}

static void setup(void)
{
	rh_ledger_init(&l);
	memset(&op1, 0, sizeof(op1));
	memset(&op2, 0, sizeof(op2));
	ASSERT_EQ(ev(RC_EV_BUF_GET, NULL, buf1), RH_VIOL_NONE);
}

TEST(legal_life_get_lend_cqe_put)
{
	setup();
	EXPECT_EQ(rh_ledger_state(&l, buf1), RH_BUF_APP);
	EXPECT_EQ(submit(&op1, buf1), RH_VIOL_NONE);
	EXPECT_EQ(rh_ledger_state(&l, buf1 + 100), RH_BUF_KERNEL);
	EXPECT_EQ(rh_ledger_kernel_owned(&l), 1);
	EXPECT_EQ(cqe(&op1, rc_op_life(&op1)), RH_VIOL_NONE);
	EXPECT_EQ(rh_ledger_state(&l, buf1), RH_BUF_APP);
	/* reused for the next op of the same record */
	EXPECT_EQ(submit(&op1, buf1), RH_VIOL_NONE);
	EXPECT_EQ(cqe(&op1, rc_op_life(&op1)), RH_VIOL_NONE);
	EXPECT_EQ(ev(RC_EV_RELEASE, &op1, buf1), RH_VIOL_NONE);
	EXPECT_EQ(ev(RC_EV_BUF_PUT, NULL, buf1), RH_VIOL_NONE);
	EXPECT_EQ(rh_ledger_state(&l, buf1), RH_BUF_FREE);
	EXPECT_EQ(l.frees_after_cqe, 1);
	EXPECT_EQ(l.frees_never_lent, 0);
	EXPECT_EQ(l.submits, 2);
	EXPECT_EQ(l.cqes, 2);
	rh_ledger_free(&l);
}

TEST(free_before_cqe_is_a_violation)
{
	setup();
	submit(&op1, buf1);
	EXPECT_EQ(ev(RC_EV_BUF_PUT, NULL, buf1), RH_VIOL_FREE_WHILE_KERNEL);
	rh_ledger_free(&l);
}

TEST(double_free_is_a_violation)
{
	setup();
	EXPECT_EQ(ev(RC_EV_BUF_PUT, NULL, buf1), RH_VIOL_NONE);
	EXPECT_EQ(ev(RC_EV_BUF_PUT, NULL, buf1), RH_VIOL_DOUBLE_FREE);
	rh_ledger_free(&l);
}

TEST(submit_of_freed_buffer_is_a_violation)
{
	setup();
	ev(RC_EV_BUF_PUT, NULL, buf1);
	EXPECT_EQ(submit(&op1, buf1), RH_VIOL_SUBMIT_FREED);
	rh_ledger_free(&l);
}

TEST(buffer_lent_twice_is_a_violation)
{
	setup();
	submit(&op1, buf1);
	EXPECT_EQ(submit(&op2, buf1), RH_VIOL_SUBMIT_KERNEL);
	rh_ledger_free(&l);
}

TEST(allocator_reuse_of_lent_buffer_is_a_violation)
{
	setup();
	submit(&op1, buf1);
	EXPECT_EQ(ev(RC_EV_BUF_GET, NULL, buf1), RH_VIOL_REUSE_WHILE_KERNEL);
	rh_ledger_free(&l);
}

TEST(cqe_for_op_not_in_flight_is_a_violation)
{
	setup();
	EXPECT_EQ(cqe(&op2, 0), RH_VIOL_CQE_NOT_IN_FLIGHT);
	submit(&op1, buf1);
	EXPECT_EQ(cqe(&op1, rc_op_life(&op1)), RH_VIOL_NONE);
	EXPECT_EQ(cqe(&op1, rc_op_life(&op1)), RH_VIOL_CQE_NOT_IN_FLIGHT);
	rh_ledger_free(&l);
}

TEST(cqe_of_previous_life_is_a_violation_and_changes_nothing)
{
	setup();
	submit(&op1, buf1);
	cqe(&op1, rc_op_life(&op1));
	submit(&op1, buf1);
	/* the CQE of the life before, come late */
	EXPECT_EQ(cqe(&op1, rc_op_life(&op1) - 1), RH_VIOL_CQE_WRONG_LIFE);
	EXPECT_EQ(rh_ledger_state(&l, buf1), RH_BUF_KERNEL);
	EXPECT_EQ(cqe(&op1, rc_op_life(&op1)), RH_VIOL_NONE);
	rh_ledger_free(&l);
}

TEST(record_recycled_in_flight_is_a_violation)
{
	setup();
	submit(&op1, buf1);
	EXPECT_EQ(ev(RC_EV_RELEASE, &op1, buf1), RH_VIOL_RELEASE_IN_FLIGHT);
	rh_ledger_free(&l);
}

TEST(caller_memory_without_get_is_tracked_from_its_submit)
{
	setup();
	EXPECT_EQ(submit(&op2, buf2), RH_VIOL_NONE);
	EXPECT_EQ(rh_ledger_state(&l, buf2), RH_BUF_KERNEL);
	EXPECT_EQ(rh_ledger_kernel_owned(&l), 1);
	EXPECT_EQ(cqe(&op2, rc_op_life(&op2)), RH_VIOL_NONE);
	EXPECT_EQ(rh_ledger_kernel_owned(&l), 0);
	rh_ledger_free(&l);
}

TEST(ring_proven_gone_ends_the_loans_of_its_ops_in_flight)
{
	static char ring_a, ring_b;

	setup();
	ASSERT_EQ(ev(RC_EV_BUF_GET, NULL, buf2), RH_VIOL_NONE);
	op1.ring = (struct rc_ring *)&ring_a;
	op2.ring = (struct rc_ring *)&ring_b;
	EXPECT_EQ(submit(&op1, buf1), RH_VIOL_NONE);
	EXPECT_EQ(submit(&op2, buf2), RH_VIOL_NONE);
	/* ring a's barrier: its op's CQE went with the ring */
	EXPECT_EQ(rh_ledger_event(&l, RC_EV_RING_PROVEN, NULL, &ring_a, 0, 0),
		  RH_VIOL_NONE);
	EXPECT_EQ(ev(RC_EV_RELEASE, &op1, buf1), RH_VIOL_NONE);
	EXPECT_EQ(ev(RC_EV_BUF_PUT, NULL, buf1), RH_VIOL_NONE);
	/* ring b is not proven: its op's buffer is still the kernel's */
	EXPECT_EQ(ev(RC_EV_BUF_PUT, NULL, buf2), RH_VIOL_FREE_WHILE_KERNEL);
	rh_ledger_free(&l);
}
