/* SPDX-License-Identifier: MIT */
/*
 * Description: the four buffer strategies are found by name (and nothing
 * else is), and each copies a file byte for byte through the pump, with
 * every buffer back in its place when the ring is destroyed; the copy
 * parameters size a strategy for the files in flight.
 */
#include "rc_buftest.h"

TEST(strategies_by_name)
{
	static const char *const names[] = { "heap", "pool", "fixed", "ring" };
	const struct rc_buf_ops *ops;
	unsigned i;

	for (i = 0; i < 4; i++) {
		ASSERT_EQ(rc_buf_strategy_by_name(names[i], &ops), 0);
		EXPECT_EQ(strcmp(ops->name, names[i]), 0);
	}
	EXPECT_EQ(rc_buf_strategy_by_name("slab", &ops), -EINVAL);
	EXPECT_EQ(rc_buf_strategy_by_name(NULL, &ops), -EINVAL);
}

static void copy_with(const char *name)
{
	const size_t len = 3 * 1024 * 1024 + 4321;	/* short last block */
	struct rc_ring *r = strategy_ring(name, 8, 64 * 1024);
	int src, dst;

	EXPECT_EQ(strcmp(rc_ring_buf_strategy(r), name), 0);
	file_pair(len, &src, &dst);
	EXPECT_EQ(pump_copy(r, src, dst, len, 8, 64 * 1024), (int64_t)len);
	EXPECT_TRUE(same_data(src, dst, len));
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
	EXPECT_EQ(sqe_log.lost, 0);
	close(src);
	close(dst);
}

TEST(heap_copies) { copy_with("heap"); }
TEST(pool_copies) { copy_with("pool"); }
TEST(fixed_copies) { copy_with("fixed"); }
TEST(ring_copies) { copy_with("ring"); }

TEST(copy_params_size_the_strategy_for_the_files_in_flight)
{
	struct rc_copy_opts o = { .queue_depth = 4, .block_size = 65536 };
	struct rc_ring_params p = { 0 };

	ASSERT_EQ(rc_copy_buf_params(&p, "ring", &o, 3), 0);
	EXPECT_TRUE(p.strategy == &rc_buf_strategy_ring);
	EXPECT_EQ(p.strategy_bufs, 12);
	EXPECT_EQ(p.strategy_buf_size, 65536);
	ASSERT_EQ(rc_copy_buf_params(&p, NULL, &o, 1), 0);
	EXPECT_EQ(strcmp(p.strategy->name, RC_COPY_DEFAULT_BUFFERS), 0);
	o.queue_depth = 4096;
	o.block_size = 1024 * 1024;	/* capped at RC_COPY_MAX_BUFFER_BYTES */
	ASSERT_EQ(rc_copy_buf_params(&p, "fixed", &o, 1), 0);
	EXPECT_EQ((uint64_t)p.strategy_bufs * p.strategy_buf_size,
		  RC_COPY_MAX_BUFFER_BYTES);
	EXPECT_EQ(rc_copy_buf_params(&p, "mmap", &o, 1), -EINVAL);
}
