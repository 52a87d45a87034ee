/* SPDX-License-Identifier: MIT */
/*
 * Description: the data budget (--memory, engine/copy/budget.c).  An op's
 * charge is held until it is given back or its record released, and an
 * op given up in flight keeps it until its own CQE; the budget allows one
 * block when nothing is charged and else only what fits; a pump never
 * takes more slots than its file has blocks nor more than the budget
 * holds; two pumps sharing a budget of one block both finish (the second
 * waits and is woken); many files on a budget smaller than a block all
 * finish (no pump waits forever); the buffer strategy's table and the
 * pool's free list follow the budget.
 */
#include "ringcp/copy.h"
#include "testutil.h"

#define KiB 1024u

/* Hand every op that came back to its pump until all are done. */
static void run_pumps(struct rc_ring *r, struct rc_pump *p, unsigned n)
{
	struct rc_op *op;
	unsigned i, busy;

	for (;;) {
		for (busy = 0, i = 0; i < n; i++)
			busy += !rc_pump_done(&p[i]);
		if (!busy)
			break;
		/* nothing in flight or queued while a pump is not done: a
		 * pump waits for what nobody will give back */
		ASSERT_GT(rc_ring_inflight(r) + rc_ring_queued(r), 0);
		ASSERT_GE(rc_ring_wait(r, 1, 5000), 0);
		while ((op = rc_ring_next(r)))
			ASSERT_EQ(rc_pump_complete(rc_pump_of(op), op), 0);
	}
}

TEST(a_charge_is_held_until_given_back_or_released)
{
	struct rc_ring *r = t_make_ring(0, NULL, NULL);
	struct rc_op *op;

	ASSERT_EQ(rc_op_get(r, &op), 0);
	rc_op_charge(op, 4096);
	rc_op_charge(op, 4096);
	EXPECT_EQ(rc_ring_charged(r), 8192);
	rc_op_uncharge(op);
	EXPECT_EQ(rc_ring_charged(r), 0);
	rc_op_charge(op, 4096);
	rc_op_put(op);		/* released: its charge goes with it */
	EXPECT_EQ(rc_ring_charged(r), 0);
	EXPECT_EQ(rc_ring_stats(r)->charged_peak_bytes, 8192);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
}

TEST(an_op_given_up_in_flight_keeps_its_charge_until_its_cqe)
{
	struct rc_ring *r = t_make_ring(0, NULL, NULL);
	struct rc_op *op = t_op_with_buf(r, 4096);
	int p[2];

	ASSERT_EQ(pipe(p), 0);
	/* a read of an empty pipe waits in the kernel (poll armed) */
	ASSERT_EQ(rc_op_prep_read(op, p[0], 0, 4096, (uint64_t)-1), 0);
	rc_op_charge(op, 4096);
	ASSERT_EQ(rc_op_submit(op), 0);
	ASSERT_GE(rc_ring_flush(r), 1);
	ASSERT_EQ(rc_op_cancel(op), 0);
	/* the kernel may still write the buffer: the bytes stay charged */
	EXPECT_EQ(rc_ring_charged(r), 4096);
	ASSERT_EQ(rc_ring_drain(r, 2000), 0);
	EXPECT_EQ(rc_ring_charged(r), 0);	/* its CQE released it */
	close(p[0]);
	close(p[1]);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
}

TEST(the_budget_allows_one_block_when_nothing_is_charged_else_what_fits)
{
	struct rc_ring *r = t_make_ring(0, NULL, NULL);
	struct rc_budget *b;
	struct rc_op *op;

	ASSERT_EQ(rc_budget_create(r, 64 * KiB, &b), 0);
	EXPECT_EQ(rc_budget_limit(b), 64 * KiB);
	EXPECT_TRUE(rc_budget_room(b, 1024 * KiB));	/* nothing charged */
	ASSERT_EQ(rc_op_get(r, &op), 0);
	rc_op_charge(op, 32 * KiB);
	EXPECT_TRUE(rc_budget_room(b, 32 * KiB));
	EXPECT_FALSE(rc_budget_room(b, 32 * KiB + 1));
	rc_op_put(op);
	rc_budget_destroy(b);
	ASSERT_EQ(rc_budget_create(r, 0, &b), 0);
	EXPECT_EQ(rc_budget_limit(b), RC_COPY_DEFAULT_MEMORY);
	rc_budget_destroy(b);
	EXPECT_EQ(rc_budget_create(r, RC_COPY_MIN_MEMORY - 1, &b), -EINVAL);
	EXPECT_EQ(rc_budget_create(r, RC_COPY_MAX_MEMORY + 1, &b), -EINVAL);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
}

TEST(a_pump_takes_no_more_slots_than_its_file_has_blocks)
{
	struct rc_ring *r = t_make_ring(0, NULL, NULL);
	struct rc_copy_opts o = { .block_size = 256 * KiB };
	struct rc_pump p;
	int src, dst;

	t_file_pair(1024 * KiB, &src, &dst);
	ASSERT_EQ(rc_pump_start(&p, r, src, dst, 0, 1024 * KiB, true, &o), 0);
	EXPECT_EQ(p.n_slots, 4);	/* 4 blocks, not the queue depth 8 */
	run_pumps(r, &p, 1);
	EXPECT_EQ(rc_pump_eof(&p), 1024 * KiB);
	rc_pump_end(&p);
	t_expect_same_files(src, dst, 1024 * KiB);
	EXPECT_LE(rc_ring_stats(r)->charged_peak_bytes, 1024 * KiB);
	EXPECT_EQ(rc_ring_charged(r), 0);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
}

TEST(a_lone_copy_holds_no_more_blocks_than_its_memory)
{
	struct rc_ring *r = t_make_ring(0, NULL, NULL);
	/* read/write: a 4 MiB file is in auto's splice class, and pairs
	 * hold pipes, not budgeted buffers */
	struct rc_copy_opts o = { .queue_depth = 8, .block_size = 64 * KiB,
				  .memory = 128 * KiB,
				  .data_path = RC_DATA_READWRITE };
	enum rc_copy_side side;
	int src, dst, drain_err;

	t_file_pair(4096 * KiB + 5, &src, &dst);
	EXPECT_EQ(rc_copy_fd(r, src, dst, 4096 * KiB + 5, &o, &side,
			     &drain_err), 4096 * KiB + 5);
	t_expect_same_files(src, dst, 4096 * KiB + 5);
	EXPECT_LE(rc_ring_stats(r)->charged_peak_bytes, 128 * KiB);
	EXPECT_GT(rc_ring_stats(r)->charged_peak_bytes, 0);
	EXPECT_EQ(rc_ring_charged(r), 0);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
}

TEST(two_pumps_on_a_budget_of_one_block_one_waits_and_both_finish)
{
	struct rc_ring *r = t_make_ring(0, NULL, NULL);
	struct rc_copy_opts o = { .queue_depth = 4, .block_size = 256 * KiB };
	struct rc_budget_stats st;
	struct rc_pump p[2];
	int s1, d1, s2, d2;

	ASSERT_EQ(rc_budget_create(r, 256 * KiB, &o.budget), 0);
	t_file_pair(1024 * KiB + 1, &s1, &d1);
	t_file_pair(700 * KiB, &s2, &d2);
	ASSERT_EQ(rc_pump_start(&p[0], r, s1, d1, 0, 1024 * KiB + 1, true,
				&o), 0);
	EXPECT_EQ(p[0].busy, 1);	/* the budget holds one block */
	ASSERT_EQ(rc_pump_start(&p[1], r, s2, d2, 0, 700 * KiB, true, &o), 0);
	EXPECT_TRUE(p[1].waiting);	/* p[0] holds it */
	EXPECT_EQ(p[1].busy, 0);
	EXPECT_EQ(rc_budget_waiting(o.budget), 1);
	EXPECT_FALSE(rc_pump_done(&p[1]));
	run_pumps(r, p, 2);
	EXPECT_EQ(rc_pump_eof(&p[0]), 1024 * KiB + 1);
	EXPECT_EQ(rc_pump_eof(&p[1]), 700 * KiB);
	rc_pump_end(&p[0]);
	rc_pump_end(&p[1]);
	t_expect_same_files(s1, d1, 1024 * KiB + 1);
	t_expect_same_files(s2, d2, 700 * KiB);
	rc_budget_stats(o.budget, &st);
	EXPECT_GE(st.waits, 1);
	EXPECT_EQ(st.wakes, st.waits);
	EXPECT_LE(st.charged_peak_bytes, 256 * KiB);
	EXPECT_EQ(rc_ring_charged(r), 0);
	rc_budget_destroy(o.budget);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
}

#define MANY 24

TEST(many_files_on_a_budget_smaller_than_a_block_all_finish)
{
	struct rc_ring *r = t_make_ring(0, NULL, NULL);
	struct rc_copy_opts o = { .queue_depth = 8, .block_size = 64 * KiB,
				  .memory = RC_COPY_MIN_MEMORY };
	struct rc_budget_stats st;
	struct rc_pump p[MANY];
	int src[MANY], dst[MANY];
	unsigned i;

	ASSERT_EQ(rc_budget_create(r, o.memory, &o.budget), 0);
	for (i = 0; i < MANY; i++) {
		uint64_t len = 100 * KiB + i * 7777;

		t_file_pair(len, &src[i], &dst[i]);
		ASSERT_EQ(rc_pump_start(&p[i], r, src[i], dst[i], 0, len,
					true, &o), 0);
	}
	run_pumps(r, p, MANY);
	for (i = 0; i < MANY; i++) {
		uint64_t len = 100 * KiB + i * 7777;

		EXPECT_EQ(rc_pump_eof(&p[i]), len);
		rc_pump_end(&p[i]);
		t_expect_same_files(src[i], dst[i], (int64_t)len);
		close(src[i]);
		close(dst[i]);
	}
	rc_budget_stats(o.budget, &st);
	EXPECT_GE(st.waits, MANY - 1);
	EXPECT_LE(st.charged_peak_bytes, 64 * KiB);	/* one block */
	EXPECT_EQ(rc_ring_charged(r), 0);
	rc_budget_destroy(o.budget);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
}

TEST(the_strategy_table_and_the_pool_follow_the_budget)
{
	struct rc_config c = { .block_size = 256 * KiB, .tree = true,
			       .memory = 24 * 1024 * KiB, .buffers = "fixed" };
	struct rc_ring_params p = { 0 };

	ASSERT_EQ(rc_config_ring_params(&c, &p), 0);
	EXPECT_EQ(p.strategy_bufs, 96);	/* 24 MiB of 256 KiB */
	c = (struct rc_config){ .memory = 1000 };
	EXPECT_EQ(rc_config_ring_params(&c, &p), -EINVAL);
	c = (struct rc_config){ .memory = 4096, .block_size = 65536 };
	ASSERT_EQ(rc_config_ring_params(&c, &p), 0);
	EXPECT_EQ(p.strategy_bufs, 1);	/* one block always goes */
	c = (struct rc_config){ 0 };
	ASSERT_EQ(rc_config_resolve(&c), 0);
	EXPECT_EQ(c.memory, RC_COPY_DEFAULT_MEMORY);
}

