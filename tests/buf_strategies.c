/* SPDX-License-Identifier: MIT */
/*
 * Description: the four buffer strategies are found by name (and nothing
 * else is), and each copies a file byte for byte through the pump, with
 * every buffer back in its place when the ring is destroyed; the copy
 * parameters size a strategy for the files in flight, and resolve the
 * reflink mode (auto by default).
 */
#include "buftest.h"

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
	struct rc_ring *r = t_strategy_ring(name, 8, 64 * 1024);
	int src, dst;

	EXPECT_EQ(strcmp(rc_ring_buf_strategy(r), name), 0);
	t_file_pair(len, &src, &dst);
	EXPECT_EQ(t_pump_copy(r, src, dst, len, 8, 64 * 1024), (int64_t)len);
	EXPECT_TRUE(t_same_data(src, dst, len));
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
	EXPECT_EQ(t_sqe_log.lost, 0);
	close(src);
	close(dst);
}

TEST(heap_copies) { copy_with("heap"); }
TEST(pool_copies) { copy_with("pool"); }
TEST(fixed_copies) { copy_with("fixed"); }
TEST(ring_copies) { copy_with("ring"); }

TEST(config_sizes_the_ring_and_strategy_for_the_files_in_flight)
{
	struct rc_config c = { .queue_depth = 4, .block_size = 65536,
			       .tree = true, .files_in_flight = 3,
			       .buffers = "ring" };
	struct rc_ring_params p = { 0 };

	ASSERT_EQ(rc_config_ring_params(&c, &p), 0);
	EXPECT_TRUE(p.strategy == &rc_buf_strategy_ring);
	/* the data budget's blocks, whatever the files in flight */
	EXPECT_EQ(p.strategy_bufs, RC_COPY_DEFAULT_MEMORY / 65536);
	EXPECT_EQ(p.strategy_buf_size, 65536);
	EXPECT_EQ(p.entries, 32);		/* 4 x 2 x 3, at least 32 */
	EXPECT_EQ(p.cq_entries, 64);
	/* one file, every default */
	c = (struct rc_config){ 0 };
	ASSERT_EQ(rc_config_ring_params(&c, &p), 0);
	EXPECT_EQ(strcmp(p.strategy->name, RC_COPY_DEFAULT_BUFFERS), 0);
	EXPECT_EQ(c.queue_depth, RC_COPY_DEFAULT_QD);
	EXPECT_EQ(c.files_in_flight, 0);
	EXPECT_EQ(p.entries, RC_RING_MIN_ENTRIES);
	/* a tree with every default: queue depth x 2 x files */
	c = (struct rc_config){ .tree = true };
	ASSERT_EQ(rc_config_ring_params(&c, &p), 0);
	EXPECT_EQ(c.files_in_flight, RC_TREE_DEFAULT_FILES);
	EXPECT_EQ(p.entries, 2 * RC_COPY_DEFAULT_QD * RC_TREE_DEFAULT_FILES);
	c = (struct rc_config){ .queue_depth = 4096,
				.block_size = 1024 * 1024, .buffers = "fixed",
				.memory = 1024ull * 1024 * 1024 };
	/* capped at RC_COPY_MAX_BUFFER_BYTES, and at RC_RING_MAX_ENTRIES */
	ASSERT_EQ(rc_config_ring_params(&c, &p), 0);
	EXPECT_EQ((uint64_t)p.strategy_bufs * p.strategy_buf_size,
		  RC_COPY_MAX_BUFFER_BYTES);
	EXPECT_EQ(p.entries, RC_RING_MAX_ENTRIES);
	c = (struct rc_config){ .buffers = "mmap" };
	EXPECT_EQ(rc_config_ring_params(&c, &p), -EINVAL);
	c = (struct rc_config){ .block_size = 1024 };
	EXPECT_EQ(rc_config_resolve(&c), -EINVAL);
}

TEST(config_resolves_reflink_to_auto_and_refuses_an_unknown_mode)
{
	struct rc_config c = { 0 };

	ASSERT_EQ(rc_config_resolve(&c), 0);
	EXPECT_EQ(c.reflink, RC_REFLINK_AUTO);	/* cp 9.x's default */
	c = (struct rc_config){ .reflink = RC_REFLINK_NEVER };
	ASSERT_EQ(rc_config_resolve(&c), 0);
	EXPECT_EQ(c.reflink, RC_REFLINK_NEVER);
	c = (struct rc_config){ .reflink = (enum rc_reflink)(RC_REFLINK_ALWAYS + 1) };
	EXPECT_EQ(rc_config_resolve(&c), -EINVAL);
}
