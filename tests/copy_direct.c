/* SPDX-License-Identifier: MIT */
/*
 * Description: direct I/O of a copy's writes (--direct): with always, on
 * a filesystem that takes O_DIRECT, every aligned block is written with
 * O_DIRECT and only the unaligned tail buffered, the tail's switch comes
 * after every direct write has answered (in every buffer strategy), the
 * destination fd is buffered again at the end; the default (never),
 * never and auto without --fsync write buffered, auto with --fsync writes
 * files of RC_DIRECT_AUTO_MIN_BYTES direct; a block size that is not a multiple of the
 * alignment, and a filesystem that refuses O_DIRECT (ramfs, root only),
 * fall back to buffered writes and copy the same bytes.
 */
#include <sys/mount.h>
#include <sys/stat.h>

#include "ringcp/copy.h"
#include "testutil.h"

#define KiB 1024u

/* Each write as it is about to be sent, and how many direct writes of
 * the file were in flight then. */
struct wr {
	uint64_t off;
	uint32_t len;
	bool direct;
	unsigned direct_in_flight;
};

static struct wr wrs[4096];
static unsigned n_wrs, direct_in_flight;
static const struct rc_op *direct_ops[256];

static void watch_writes(void *arg, enum rc_trace_event ev,
			 const struct rc_op *op, const void *buf, size_t len,
			 int64_t res)
{
	unsigned i;

	(void)arg; (void)buf; (void)len; (void)res;
	if (!op || op->opcode != IORING_OP_WRITE)
		return;
	if (ev == RC_EV_SUBMIT && n_wrs < 4096) {
		int fl = fcntl(op->fd, F_GETFL);
		struct wr *w = &wrs[n_wrs++];

		w->off = op->off;
		w->len = op->len;
		w->direct = fl >= 0 && (fl & O_DIRECT);
		w->direct_in_flight = direct_in_flight;
		for (i = 0; w->direct && i < 256; i++)
			if (!direct_ops[i]) {
				direct_ops[i] = op;
				direct_in_flight++;
				break;
			}
	} else if (ev == RC_EV_CQE) {
		for (i = 0; i < 256; i++)
			if (direct_ops[i] == op) {
				direct_ops[i] = NULL;
				direct_in_flight--;
				break;
			}
	}
}

static struct rc_ring *watched_ring(const char *strategy)
{
	struct rc_ring_params p = { .trace = watch_writes,
				    .strategy_bufs = 16,
				    .strategy_buf_size = 64 * KiB };
	struct rc_ring *r;
	int ret;

	ASSERT_EQ(rc_buf_strategy_by_name(strategy, &p.strategy), 0);
	ret = rc_ring_create(&r, &p);
	if (ret)
		SKIP("io_uring unavailable: %s", rc_setup_advice(ret));
	n_wrs = 0;
	direct_in_flight = 0;
	memset(direct_ops, 0, sizeof(direct_ops));
	return r;
}

/* A source of len bytes of a pattern in /tmp, a destination in dir. */
static void file_pair_in(const char *dir, size_t len, int *src, int *dst)
{
	char path[256];

	*src = t_pattern_source(len);
	snprintf(path, sizeof(path), "%s/rc-direct-XXXXXX", dir);
	*dst = mkstemp(path);
	ASSERT_GE(*dst, 0);
	unlink(path);
}

/* Copy len bytes into dir with opts o on a ring of strategy; the size. */
static void copy_in(const char *dir, const char *strategy, size_t len,
		    struct rc_copy_opts *o, int *dstp)
{
	struct rc_ring *r = watched_ring(strategy);
	enum rc_copy_side side;
	int src, dst, drain_err;

	file_pair_in(dir, len, &src, &dst);
	EXPECT_EQ(rc_copy_fd(r, src, dst, len, o, &side, &drain_err),
		  (int64_t)len);
	EXPECT_EQ(drain_err, 0);
	EXPECT_EQ(ftruncate(dst, (off_t)len), 0);
	t_expect_same_files(src, dst, len);
	/* the destination fd is buffered again once the copy is over */
	EXPECT_EQ(fcntl(dst, F_GETFL) & O_DIRECT, 0);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
	close(src);
	if (dstp)
		*dstp = dst;
	else
		close(dst);
}

static unsigned count_writes(bool direct, uint64_t *bytes)
{
	unsigned i, n = 0;

	*bytes = 0;
	for (i = 0; i < n_wrs; i++)
		if (wrs[i].direct == direct) {
			n++;
			*bytes += wrs[i].len;
		}
	return n;
}

/* Every direct write aligned; the buffered ones sent with no direct
 * write of the file in flight, and none direct after them. */
static void expect_one_switch(void)
{
	bool buffered_seen = false;
	unsigned i;

	for (i = 0; i < n_wrs; i++) {
		if (wrs[i].direct) {
			EXPECT_EQ((wrs[i].off | wrs[i].len) % 4096, 0);
			EXPECT_FALSE(buffered_seen);
		} else {
			EXPECT_EQ(wrs[i].direct_in_flight, 0);
			buffered_seen = true;
		}
	}
}

static void tail_in_strategy(const char *strategy)
{
	struct rc_copy_opts o = { .queue_depth = 8, .block_size = 64 * KiB,
				  .direct = RC_DIRECT_ALWAYS };
	size_t len = 1024 * KiB + 1000;
	uint64_t direct_bytes, buffered_bytes;

	TH_LOG("strategy %s", strategy);
	copy_in("/var/tmp", strategy, len, &o, NULL);
	EXPECT_EQ(count_writes(true, &direct_bytes), 16);
	EXPECT_EQ(direct_bytes, 1024 * KiB);
	EXPECT_EQ(count_writes(false, &buffered_bytes), 1);
	EXPECT_EQ(buffered_bytes, 1000);
	expect_one_switch();
}

TEST(always_writes_blocks_direct_and_the_tail_buffered_after_them)
{
	static const char *const names[] = { "heap", "pool", "fixed", "ring" };
	unsigned i;

	for (i = 0; i < 4; i++)
		tail_in_strategy(names[i]);
}

TEST(aligned_file_is_written_direct_throughout)
{
	struct rc_copy_opts o = { .queue_depth = 4, .block_size = 128 * KiB,
				  .direct = RC_DIRECT_ALWAYS };
	uint64_t bytes;

	copy_in("/var/tmp", "pool", 2048 * KiB, &o, NULL);
	EXPECT_EQ(count_writes(true, &bytes), 16);
	EXPECT_EQ(count_writes(false, &bytes), 0);
}

TEST(file_smaller_than_a_block_is_written_buffered_whole)
{
	struct rc_copy_opts o = { .queue_depth = 4, .block_size = 64 * KiB,
				  .direct = RC_DIRECT_ALWAYS };
	uint64_t bytes;

	copy_in("/var/tmp", "heap", 3000, &o, NULL);
	EXPECT_EQ(count_writes(true, &bytes), 0);
	EXPECT_EQ(count_writes(false, &bytes), 1);
	EXPECT_EQ(bytes, 3000);
}

TEST(default_never_and_auto_without_fsync_write_buffered)
{
	struct rc_copy_opts o = { .queue_depth = 8, .block_size = 256 * KiB,
				  .direct = RC_DIRECT_NEVER };
	uint64_t bytes;

	copy_in("/var/tmp", "pool", 1024 * KiB, &o, NULL);
	EXPECT_EQ(count_writes(true, &bytes), 0);
	o.direct = RC_DIRECT_DEFAULT;	/* never: measured, config.h */
	copy_in("/var/tmp", "pool", 1024 * KiB, &o, NULL);
	EXPECT_EQ(count_writes(true, &bytes), 0);
	o.direct = RC_DIRECT_AUTO;	/* no fsync: not durable */
	copy_in("/var/tmp", "pool", (size_t)RC_DIRECT_AUTO_MIN_BYTES, &o, NULL);
	EXPECT_EQ(count_writes(true, &bytes), 0);
}

TEST(auto_with_fsync_writes_large_files_direct_small_ones_buffered)
{
	struct rc_copy_opts o = { .queue_depth = 8, .block_size = 1024 * KiB,
				  .direct = RC_DIRECT_AUTO, .fsync = true };
	uint64_t bytes;

	copy_in("/var/tmp", "pool", (size_t)RC_DIRECT_AUTO_MIN_BYTES, &o, NULL);
	EXPECT_EQ(count_writes(false, &bytes), 0);
	EXPECT_EQ(count_writes(true, &bytes), RC_DIRECT_AUTO_MIN_BYTES >> 20);
	copy_in("/var/tmp", "pool", RC_DIRECT_AUTO_MIN_BYTES - 4096, &o, NULL);
	EXPECT_EQ(count_writes(true, &bytes), 0);
}

TEST(block_size_off_the_alignment_writes_buffered)
{
	/* 5000: a multiple of no alignment (512 at the least) */
	struct rc_copy_opts o = { .queue_depth = 4, .block_size = 5000,
				  .direct = RC_DIRECT_ALWAYS };
	uint64_t bytes;

	copy_in("/var/tmp", "heap", 600 * KiB, &o, NULL);
	EXPECT_EQ(count_writes(true, &bytes), 0);
	EXPECT_EQ(count_writes(false, &bytes), (600 * KiB + 4999) / 5000);
	EXPECT_EQ(bytes, 600 * KiB);
}

TEST(filesystem_refusing_o_direct_is_written_buffered)
{
	struct rc_copy_opts o = { .queue_depth = 8, .block_size = 64 * KiB,
				  .direct = RC_DIRECT_ALWAYS };
	char dir[] = "/tmp/rc-ramfs-XXXXXX";
	uint64_t bytes;
	int fd, dst;

	t_need_root();
	ASSERT_TRUE(mkdtemp(dir) != NULL);
	if (mount("ramfs", dir, "ramfs", 0, NULL) < 0) {
		rmdir(dir);
		SKIP("cannot mount ramfs: %s", strerror(errno));
	}
	/* ramfs has no direct I/O: the premise of the test */
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	EXPECT_LT(openat(fd, "probe", O_WRONLY | O_CREAT | O_DIRECT, 0600), 0);
	EXPECT_EQ(errno, EINVAL);
	close(fd);
	copy_in(dir, "pool", 512 * KiB + 17, &o, &dst);
	EXPECT_EQ(count_writes(true, &bytes), 0);
	EXPECT_EQ(count_writes(false, &bytes), 9);
	EXPECT_EQ(bytes, 512 * KiB + 17);
	close(dst);
	EXPECT_EQ(umount(dir), 0);
	rmdir(dir);
}

TEST(direct_names_parse_and_print)
{
	enum rc_direct d;

	EXPECT_EQ(rc_direct_by_name("never", &d), 0);
	EXPECT_EQ(d, RC_DIRECT_NEVER);
	EXPECT_EQ(rc_direct_by_name("always", &d), 0);
	EXPECT_EQ(d, RC_DIRECT_ALWAYS);
	EXPECT_EQ(rc_direct_by_name("sometimes", &d), -EINVAL);
	EXPECT_EQ(strcmp(rc_direct_name(RC_DIRECT_DEFAULT),
			 rc_direct_name(RC_COPY_DEFAULT_DIRECT)), 0);
}
