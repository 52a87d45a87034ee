/* SPDX-License-Identifier: MIT */
/*
 * Description: starting the harness leaves the program's signal mask as
 * it was, with the witness off too (the witness' reader thread is started
 * with every signal blocked, and the mask must come back even when no
 * reader starts): a touch of a freed buffer then reaches the SIGSEGV
 * guard instead of a blocked SIGSEGV killing the process.
 */
#include <signal.h>
#include <pthread.h>

#include "harness.h"
#include "testutil.h"

static struct rh_harness_opts no_witness_opts(void)
{
	return (struct rh_harness_opts){ .scenario = "sigmask-test",
					 .quarantine = RH_QUARANTINE_GUARD,
					 .quiet = true, .no_witness = true };
}

TEST(harness_start_without_witness_keeps_the_signal_mask)
{
	struct rh_harness_opts o = no_witness_opts();
	sigset_t cur;

	rh_harness_start(&o);
	ASSERT_EQ(pthread_sigmask(SIG_BLOCK, NULL, &cur), 0);
	EXPECT_EQ(sigismember(&cur, SIGSEGV), 0);
	EXPECT_EQ(sigismember(&cur, SIGINT), 0);
	EXPECT_EQ(sigismember(&cur, SIGTERM), 0);
	EXPECT_EQ(rh_harness_finish(), 0);
}

TEST(segv_guard_catches_a_touch_with_the_witness_off)
{
	struct rh_harness_opts o = no_witness_opts();
	struct rc_ring_params p = { 0 };
	struct rc_ring *r;
	void *buf;

	rh_harness_start(&o);
	rh_harness_ring_params(&p);
	ASSERT_EQ(rc_ring_create(&r, &p), 0);
	ASSERT_EQ(rc_buf_get(r, 4096, &buf), 0);
	rc_buf_put(r, buf, 4096);
	((volatile char *)buf)[10] = 1;		/* use after free */
	rc_ring_destroy(r, 1000);
	EXPECT_EQ(rh_harness_finish(), 1);
	EXPECT_EQ(rh_harness_summary()->by_kind[RH_VIOL_PROGRAM_TOUCH], 1);
}
