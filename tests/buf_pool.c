/* SPDX-License-Identifier: MIT */
/*
 * Description: the pool strategy recycles: a buffer put is the next one
 * got of its size class, and copying many files one after another
 * allocates buffers for the first file only, where the heap strategy
 * allocates for every file.  At most `count` buffers' worth of the
 * strategy's size wait in the pool, the biggest kept: small ones put into
 * a full pool do not push out the block buffers, and many small ones fit
 * in the bytes of a few blocks.
 */
#include "buftest.h"

TEST(put_then_get_returns_the_same_buffer)
{
	struct rc_ring *r = t_strategy_ring("pool", 4, 0);
	void *a, *b, *c;

	ASSERT_EQ(rc_buf_get(r, 10000, &a), 0);
	rc_buf_put(r, a, 10000);
	ASSERT_EQ(rc_buf_get(r, 12000, &b), 0);	/* same 16 KiB class */
	EXPECT_TRUE(a == b);
	ASSERT_EQ(rc_buf_get(r, 100000, &c), 0);	/* another class */
	EXPECT_TRUE(c != b);
	EXPECT_EQ(rc_ring_stats(r)->buffers_allocated, 2);
	rc_buf_put(r, b, 12000);
	rc_buf_put(r, c, 100000);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
}

static uint64_t allocations_for_files(const char *name, unsigned files,
				      uint64_t *first)
{
	struct rc_ring *r = t_strategy_ring(name, 8, 0);
	uint64_t n;
	unsigned i;

	for (i = 0; i < files; i++) {
		size_t len = 100000 + i * 7;
		int src, dst;

		t_file_pair(len, &src, &dst);
		EXPECT_EQ(t_pump_copy(r, src, dst, len, 4, 32 * 1024),
			  (int64_t)len);
		EXPECT_TRUE(t_same_data(src, dst, len));
		close(src);
		close(dst);
		if (!i)
			*first = rc_ring_stats(r)->buffers_allocated;
	}
	n = rc_ring_stats(r)->buffers_allocated;
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
	return n;
}

TEST(steady_state_allocates_nothing)
{
	uint64_t first = 0, total;

	total = allocations_for_files("pool", 20, &first);
	EXPECT_GT(first, 0);
	EXPECT_EQ(total, first);
	total = allocations_for_files("heap", 20, &first);
	EXPECT_EQ(total, 20 * first);
}

TEST(pool_keeps_at_most_count_buffers)
{
	struct rc_ring *r = t_strategy_ring("pool", 2, 4096);
	void *b[4];
	int i;

	for (i = 0; i < 4; i++)
		ASSERT_EQ(rc_buf_get(r, 4096, &b[i]), 0);
	for (i = 0; i < 4; i++)
		rc_buf_put(r, b[i], 4096);
	for (i = 0; i < 4; i++)
		ASSERT_EQ(rc_buf_get(r, 4096, &b[i]), 0);
	/* two came from the pool, two were allocated again */
	EXPECT_EQ(rc_ring_stats(r)->buffers_allocated, 6);
	for (i = 0; i < 4; i++)
		rc_buf_put(r, b[i], 4096);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
}

/* A tree puts a small statx record per file beside its block buffers:
 * into a full pool of blocks, a small one is not kept, and into a pool
 * holding small ones a block pushes out a small one, not another block. */
TEST(full_pool_keeps_its_block_buffers)
{
	struct rc_ring *r = t_strategy_ring("pool", 2, 0);
	void *blk[2], *small, *got;
	int i;

	for (i = 0; i < 2; i++)
		ASSERT_EQ(rc_buf_get(r, 256 * 1024, &blk[i]), 0);
	ASSERT_EQ(rc_buf_get(r, 512, &small), 0);
	rc_buf_put(r, blk[0], 256 * 1024);
	rc_buf_put(r, small, 512);		/* the pool: block, small */
	rc_buf_put(r, blk[1], 256 * 1024);	/* full: small goes */
	EXPECT_EQ(rc_ring_stats(r)->buffers_allocated, 3);
	ASSERT_EQ(rc_buf_get(r, 512, &small), 0);	/* made again */
	EXPECT_EQ(rc_ring_stats(r)->buffers_allocated, 4);
	ASSERT_EQ(rc_buf_get(r, 256 * 1024, &got), 0);
	EXPECT_TRUE(got == blk[0] || got == blk[1]);
	rc_buf_put(r, got, 256 * 1024);		/* the pool: two blocks */
	rc_buf_put(r, small, 512);		/* full of bigger: not kept */
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(rc_buf_get(r, 256 * 1024, &blk[i]), 0);
		EXPECT_TRUE(blk[i] != small);
	}
	EXPECT_EQ(rc_ring_stats(r)->buffers_allocated, 4);	/* none new */
	for (i = 0; i < 2; i++)
		rc_buf_put(r, blk[i], 256 * 1024);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
}

/* 64 entries for 16 MiB of 256 KiB blocks once let a tree's statx records
 * and small files' blocks churn (a malloc and a free per file): the pool
 * counts bytes, so they fit in the blocks' room. */
TEST(small_buffers_fit_in_the_bytes_of_the_blocks)
{
	struct rc_ring *r = t_strategy_ring("pool", 2, 256 * 1024);
	void *b[100];
	int i;

	for (i = 0; i < 100; i++)
		ASSERT_EQ(rc_buf_get(r, 4096, &b[i]), 0);
	for (i = 0; i < 100; i++)
		rc_buf_put(r, b[i], 4096);	/* 400 KiB of a 512 KiB pool */
	for (i = 0; i < 100; i++)
		ASSERT_EQ(rc_buf_get(r, 4096, &b[i]), 0);
	EXPECT_EQ(rc_ring_stats(r)->buffers_allocated, 100);	/* none new */
	for (i = 0; i < 100; i++)
		rc_buf_put(r, b[i], 4096);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
}
