/* SPDX-License-Identifier: MIT */
/*
 * Description: rc_copy_fd copies to the EOF it actually reads: a source
 * that shrinks or grows (before or during the copy) ends up copied as it
 * was read, a 0-byte read ends the copy instead of looping, short writes
 * are continued, and errors name the side that failed.
 */
#include <sys/resource.h>

#include "ringcp/copy.h"
#include "testutil.h"

#define KiB 1024u

static int src_fd_for_hook = -1;
static off_t truncate_to = -1;
static size_t append_len;
static unsigned read_cqes;
static volatile sig_atomic_t *stop_on_first_read;

/* Trace hook: change the source when the first read completes. */
static void mutate_source(void *arg, enum rc_trace_event ev,
			  const struct rc_op *op, const void *buf, size_t len,
			  int64_t res)
{
	(void)arg; (void)buf; (void)len; (void)res;
	if (ev != RC_EV_CQE || op->opcode != IORING_OP_READ || read_cqes++)
		return;
	if (truncate_to >= 0)
		ftruncate(src_fd_for_hook, truncate_to);
	if (stop_on_first_read)
		*stop_on_first_read = 1;
	if (append_len) {
		char *more = malloc(append_len);

		memset(more, 'A', append_len);
		lseek(src_fd_for_hook, 0, SEEK_END);
		write(src_fd_for_hook, more, append_len);
		free(more);
	}
}

static struct rc_ring *hooked_ring(void)
{
	struct rc_ring_params p = { .trace = mutate_source };
	struct rc_ring *r;
	int ret = rc_ring_create(&r, &p);

	if (ret)
		SKIP("io_uring unavailable: %s", rc_setup_advice(ret));
	return r;
}

/* The first n bytes of a and b are equal. */
static void expect_prefix_copy(int a, int b, int64_t n)
{
	char *x = malloc((size_t)n + 1), *y = malloc((size_t)n + 1);

	EXPECT_EQ(pread(a, x, (size_t)n, 0), n);
	EXPECT_EQ(pread(b, y, (size_t)n, 0), n);
	EXPECT_EQ(memcmp(x, y, (size_t)n), 0);
	free(x);
	free(y);
}

static int64_t copy(struct rc_ring *r, int src, int dst, uint64_t hint,
		    unsigned qd, uint32_t bs, enum rc_copy_side *side)
{
	/* read/write pinned: the hooks act on read CQEs (splice_pairs.c
	 * has the splice path's) */
	struct rc_copy_opts o = { .queue_depth = qd, .block_size = bs,
				  .data_path = RC_DATA_READWRITE };
	int drain_err;
	int64_t n = rc_copy_fd(r, src, dst, hint, &o, side, &drain_err);

	EXPECT_EQ(drain_err, 0);
	EXPECT_EQ(rc_ring_inflight(r), 0);
	return n;
}

TEST(source_smaller_than_size_hint_copies_what_is_there)
{
	struct rc_ring *r = t_make_ring(0, NULL, NULL);
	enum rc_copy_side side;
	int src, dst;

	t_file_pair(300 * KiB + 5, &src, &dst);
	EXPECT_EQ(copy(r, src, dst, 1024 * KiB, 8, 64 * KiB, &side),
		  300 * KiB + 5);
	expect_prefix_copy(src, dst, 300 * KiB + 5);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
}

TEST(source_larger_than_size_hint_is_read_to_its_end)
{
	struct rc_ring *r = t_make_ring(0, NULL, NULL);
	enum rc_copy_side side;
	int src, dst;

	t_file_pair(700 * KiB + 1, &src, &dst);
	EXPECT_EQ(copy(r, src, dst, 100 * KiB, 4, 64 * KiB, &side),
		  700 * KiB + 1);
	expect_prefix_copy(src, dst, 700 * KiB + 1);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
}

TEST(empty_source_with_big_hint_ends_on_first_zero_read)
{
	struct rc_ring *r = t_make_ring(0, NULL, NULL);
	enum rc_copy_side side;
	int src, dst;

	t_file_pair(0, &src, &dst);
	EXPECT_EQ(copy(r, src, dst, 64 * 1024 * KiB, 8, 64 * KiB, &side), 0);
	EXPECT_LE(rc_ring_stats(r)->ops_submitted, 8);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
}

TEST(source_shrinking_during_copy_is_copied_to_the_eof_read)
{
	struct rc_ring *r = hooked_ring();
	enum rc_copy_side side;
	int src, dst;
	int64_t n;

	t_file_pair(1024 * KiB, &src, &dst);
	src_fd_for_hook = src;
	truncate_to = 300 * KiB + 77;
	n = copy(r, src, dst, 1024 * KiB, 1, 64 * KiB, &side);
	EXPECT_EQ(n, 300 * KiB + 77);
	expect_prefix_copy(src, dst, 300 * KiB + 77);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
}

TEST(source_growing_during_copy_is_copied_to_the_eof_read)
{
	struct rc_ring *r = hooked_ring();
	enum rc_copy_side side;
	int src, dst;
	int64_t n;

	t_file_pair(256 * KiB, &src, &dst);
	src_fd_for_hook = src;
	append_len = 100 * KiB + 3;
	n = copy(r, src, dst, 256 * KiB, 2, 64 * KiB, &side);
	EXPECT_EQ(n, 356 * KiB + 3);
	expect_prefix_copy(src, dst, 356 * KiB + 3);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
}

TEST(short_writes_are_continued_then_efbig_names_destination)
{
	struct rc_ring *r = t_make_ring(0, NULL, NULL);
	struct rlimit rl = { .rlim_cur = 100000, .rlim_max = RLIM_INFINITY };
	enum rc_copy_side side;
	int src, dst;
	char *x = malloc(100000), *y = malloc(100000);

	t_file_pair(512 * KiB, &src, &dst);
	signal(SIGXFSZ, SIG_IGN);
	ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &rl), 0);
	EXPECT_EQ(copy(r, src, dst, 512 * KiB, 4, 64 * KiB, &side), -EFBIG);
	EXPECT_EQ(side, RC_SIDE_DST);
	/* the write that crossed the limit was short and was continued:
	 * everything below the limit is there */
	EXPECT_EQ(pread(src, x, 100000, 0), 100000);
	EXPECT_EQ(pread(dst, y, 100000, 0), 100000);
	EXPECT_EQ(memcmp(x, y, 100000), 0);
	free(x);
	free(y);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
}

TEST(read_error_names_source)
{
	struct rc_ring *r = t_make_ring(0, NULL, NULL);
	enum rc_copy_side side;
	int dir = open("/tmp", O_RDONLY | O_DIRECTORY), src, dst;

	t_file_pair(0, &src, &dst);
	EXPECT_EQ(copy(r, dir, dst, 4096, 4, 64 * KiB, &side), -EISDIR);
	EXPECT_EQ(side, RC_SIDE_SRC);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
}

TEST(stop_raised_mid_copy_cancels_and_drains)
{
	struct rc_ring *r = hooked_ring();
	volatile sig_atomic_t stop = 0;
	struct rc_copy_opts o = { .stop = &stop, .queue_depth = 8,
				  .block_size = 64 * KiB,
				  .data_path = RC_DATA_READWRITE };
	enum rc_copy_side side;
	int src, dst, drain_err;

	t_file_pair(4096 * KiB, &src, &dst);
	src_fd_for_hook = src;
	stop_on_first_read = &stop;
	EXPECT_EQ(rc_copy_fd(r, src, dst, 4096 * KiB, &o, &side, &drain_err),
		  -EINTR);
	EXPECT_GE(rc_ring_stats(r)->ops_submitted, 8);
	EXPECT_LT(rc_ring_stats(r)->ops_submitted, 64);
	EXPECT_EQ(drain_err, 0);
	EXPECT_EQ(rc_ring_inflight(r), 0);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
}
