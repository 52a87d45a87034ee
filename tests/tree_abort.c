/* SPDX-License-Identifier: MIT */
/*
 * Description: aborting a tree copy (SIGINT's path: cancel, drain, forget
 * every job).  An abort whose drain fails (a request held in the kernel
 * past the drain limit) leaves its jobs and their fds alone, and a later
 * tree copy in the same process never touches them.  An abort removes only
 * what its jobs created: a staged file whose create had not answered yet
 * (queued, or -EEXIST on another operand's file in the same staging
 * directory) takes no other file with it.
 */
#include "stall.h"
#include "treetest.h"

#define BIG (4u << 20)

/* Buffers from the heap, but the stall area is the test's own. */
static const void *stall_area;

static int heap_get(void *ctx, size_t len, void **bufp)
{
	(void)ctx;
	return -posix_memalign(bufp, 4096, len ? len : 1);
}

static void heap_put_but_stall(void *ctx, void *buf, size_t len)
{
	(void)ctx;
	(void)len;
	if (buf != stall_area)
		free(buf);
}

static const struct rc_buf_ops stall_alloc = {
	.name = "heap-but-stall",
	.get = heap_get,
	.put = heap_put_but_stall,
};

struct stall_abort {
	struct rh_stall s;
	struct rc_ring *r;
	int fd;			/* a file the stalled read reads */
	unsigned turn, abort_at;
	bool stalled;
};

/*
 * The chaos hook: at turn abort_at, hold a read of our own in the kernel
 * (a userfaultfd stall in io-wq), then abort the copy.
 */
static int stall_then_abort(void *arg, unsigned busy)
{
	struct stall_abort *c = arg;
	struct rc_op *op;

	(void)busy;
	if (++c->turn != c->abort_at)
		return RC_CHAOS_NONE;
	if (c->s.area) {
		ASSERT_EQ(rc_op_get(c->r, &op), 0);
		ASSERT_EQ(rc_op_set_buf(op, c->s.area, c->s.len), 0);
		ASSERT_EQ(rc_op_prep_read(op, c->fd, 0, (uint32_t)c->s.len, 0),
			  0);
		ASSERT_EQ(rc_op_set_flags(op, IOSQE_ASYNC), 0);
		ASSERT_EQ(rc_op_submit(op), 0);
		ASSERT_GE(rc_ring_flush(c->r), 1);
		ASSERT_EQ(rh_stall_wait_fault(&c->s, 5000), 0);
		c->stalled = true;
	}
	return RC_CHAOS_CANCEL_FILE;
}

/* A copy of src/ into a fresh dst, aborted at turn abort_at. */
static int aborted_copy(struct rc_ring *r, const char *src, const char *dst,
			struct stall_abort *c, int drain_ms)
{
	struct rc_tree_opts o = t_tree_opts(4, 2, 65536);
	struct rc_tree_src one = { .path = src };
	struct rc_tree_stats st;

	o.copy.data_path = RC_DATA_READWRITE;	/* the stall is a read's */
	o.copy.chaos = stall_then_abort;
	o.copy.chaos_arg = c;
	o.copy.drain_ms = drain_ms;
	c->r = r;
	c->turn = 0;
	return rc_tree_copy(r, &one, 1, dst, &o, &st);
}

TEST(an_abort_whose_drain_fails_leaves_its_jobs_to_no_later_copy)
{
	char root[64], src[128], dst1[128], dst2[128], path[160];
	struct rc_ring_params p = { .entries = 64, .buf_ops = &stall_alloc };
	struct stall_abort c1 = { .abort_at = 8 }, c2 = { .abort_at = 4 };
	unsigned fds_before, fds_after_first, fds_after_second;
	struct rc_ring *r1, *r2;
	int ret, i;

	t_need_root();
	ret = rh_stall_create(&c1.s, 65536);
	if (ret)
		SKIP("userfaultfd: %s", strerror(-ret));
	stall_area = c1.s.area;
	t_scratch_dir(root, sizeof(root));
	snprintf(src, sizeof(src), "%s/src/", root);
	snprintf(dst1, sizeof(dst1), "%s/dst1", root);
	snprintf(dst2, sizeof(dst2), "%s/dst2", root);
	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "f%d", i);
		t_tree_file(src, path, BIG, 'a' + i);
	}
	snprintf(path, sizeof(path), "%s/f0", src);
	c1.fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_GE(c1.fd, 0);
	ASSERT_EQ(mkdir(dst1, 0755), 0);
	ASSERT_EQ(mkdir(dst2, 0755), 0);
	fds_before = t_count_open_fds();

	/* the first copy: its abort cannot drain (our read is stalled) */
	ASSERT_EQ(rc_ring_create(&r1, &p), 0);
	ret = aborted_copy(r1, src, dst1, &c1, 300);
	ASSERT_TRUE(c1.stalled);
	EXPECT_EQ(ret, -ETIMEDOUT);
	rh_stall_release(&c1.s, 0);
	EXPECT_EQ(rc_ring_destroy(r1, 5000), 0);
	fds_after_first = t_count_open_fds();
	TH_LOG("fds: %u before, %u after the first copy", fds_before,
	       fds_after_first);
	/* its jobs' fds may have been named by ops in flight: kept open */
	EXPECT_GT(fds_after_first, fds_before);

	/* a second copy in the same process, aborted as usual */
	ASSERT_EQ(rc_ring_create(&r2, NULL), 0);
	EXPECT_EQ(aborted_copy(r2, src, dst2, &c2, 0), -EINTR);
	EXPECT_EQ(rc_ring_destroy(r2, 5000), 0);
	fds_after_second = t_count_open_fds();
	/* it closed its own fds and nobody else's */
	EXPECT_EQ(fds_after_second, fds_after_first);

	close(c1.fd);
	rh_stall_destroy(&c1.s);
	t_scratch_remove(root);
}

/* Raise stop once the second job of "f" has its OPEN answers back. */
struct stop_at_second_f {
	volatile sig_atomic_t stop;
	unsigned seen;
};

static void stop_at_second_f(void *arg, enum rc_trace_event ev,
			     const struct rc_op *op, const void *buf,
			     size_t len, int64_t res)
{
	struct stop_at_second_f *c = arg;

	(void)buf; (void)len; (void)res;
	if (ev != RC_EV_DELIVER || !op->path || strcmp(op->path, "f"))
		return;
	/* OPEN: the source's openat and statx (a CREATE has O_CREAT) */
	if (op->opcode == IORING_OP_STATX ||
	    (op->opcode == IORING_OP_OPENAT && !(op->rw_flags & O_CREAT)))
		if (++c->seen == 4)
			c->stop = 1;
}

TEST(an_abort_removes_no_other_operands_file_from_a_staging_directory)
{
	static struct stop_at_second_f c;
	struct rc_ring_params p = { .entries = 64, .trace = stop_at_second_f,
				    .trace_arg = &c };
	struct rc_tree_opts o = t_tree_opts(2, 1, 65536);
	char root[64], a[128], b[128], dst[128], path[200];
	struct rc_tree_src srcs[2] = { { .path = a }, { .path = b } };
	struct rc_tree_stats st;
	struct rc_ring *r;
	int fill = 0;

	t_scratch_dir(root, sizeof(root));
	/* a/sub/f is placed while a/sub/g still copies, so b/sub, new
	 * to dst as well, fills a's staging directory, where b/sub/f finds
	 * a's f: the copy is stopped right when b's create of f is queued */
	snprintf(path, sizeof(path), "%s/a", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/a/sub", root);
	t_tree_file(path, "f", 1000, 'A');
	t_tree_file(path, "g", 32u << 20, 'G');
	snprintf(path, sizeof(path), "%s/b", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/b/sub", root);
	t_tree_file(path, "f", 2000, 'B');
	snprintf(a, sizeof(a), "%s/a/", root);
	snprintf(b, sizeof(b), "%s/b/", root);
	snprintf(dst, sizeof(dst), "%s/dst", root);
	ASSERT_EQ(mkdir(dst, 0755), 0);

	ASSERT_EQ(rc_ring_create(&r, &p), 0);
	o.copy.stop = &c.stop;
	EXPECT_EQ(rc_tree_copy(r, srcs, 2, dst, &o, &st), -EINTR);
	EXPECT_EQ(c.seen, 4);
	EXPECT_EQ(rc_ring_destroy(r, 5000), 0);
	/* a's f was complete: it stays, whole; g was not: it is gone */
	snprintf(path, sizeof(path), "%s/sub/f", dst);
	EXPECT_EQ(t_file_size(path, &fill), 1000);
	EXPECT_EQ(fill, 'A');
	snprintf(path, sizeof(path), "%s/sub/g", dst);
	EXPECT_EQ(t_file_size(path, NULL), -1);
	t_scratch_remove(root);
}
