/* SPDX-License-Identifier: MIT */
/*
 * Description: a tree copy's jobs act on every answer they get, the ones
 * that come rarely included.  A CLOSE the kernel answers -ECANCELED (it
 * never ran: the fd is still open) is closed by its job.  An op that
 * cannot be prepared (its path copy finds memory exhausted: the ring's
 * fault hook) fails that one file with -ENOMEM: no SQE goes out with a
 * NULL path, no fd is left open, and the other files are copied.
 */
#include "treetest.h"

#ifndef IORING_NOP_INJECT_RESULT
#define IORING_NOP_INJECT_RESULT (1U << 0)	/* Linux 6.10 */
#endif

struct watch {
	unsigned null_paths;	/* path SQEs written with a NULL path */
	unsigned closes;	/* CLOSE SQEs turned into -ECANCELED */
	bool cancel_closes;
	const char *fail_path;	/* the path copy to fail ... */
	int fail_opcode;	/* ... for this opcode ... */
	unsigned fail_nth;	/* ... the nth time it is asked for */
	unsigned asked, failed;
};

/*
 * What the kernel answers a CLOSE it cancelled before it ran, without
 * running it: the SQE (not yet seen by the kernel) becomes a NOP whose
 * result is -ECANCELED.  Fault injection through the trace hook.
 */
static void answer_ecanceled(struct io_uring_sqe *sqe)
{
	uint64_t ud = sqe->user_data;
	uint8_t flags = sqe->flags;

	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_NOP;
	sqe->flags = flags;
	sqe->rw_flags = IORING_NOP_INJECT_RESULT;
	sqe->len = (uint32_t)-ECANCELED;
	sqe->user_data = ud;
}

static void watch_sqes(void *arg, enum rc_trace_event ev,
		       const struct rc_op *op, const void *buf, size_t len,
		       int64_t res)
{
	struct watch *w = arg;
	struct io_uring_sqe *sqe = (struct io_uring_sqe *)buf;

	(void)op; (void)len; (void)res;
	if (ev != RC_EV_SQE)
		return;
	switch (sqe->opcode) {
	case IORING_OP_OPENAT:
	case IORING_OP_STATX:
		w->null_paths += !sqe->addr;
		break;
	case IORING_OP_LINKAT:
	case IORING_OP_RENAMEAT:
		w->null_paths += !sqe->addr || !sqe->addr2;
		break;
	case IORING_OP_CLOSE:
		if (w->cancel_closes) {
			answer_ecanceled(sqe);
			w->closes++;
		}
		break;
	default:
		break;
	}
}

static bool fail_one_path(void *arg, const struct rc_op *op, const char *path)
{
	struct watch *w = arg;

	if (!w->fail_path || op->opcode != w->fail_opcode ||
	    strcmp(path, w->fail_path) || ++w->asked != w->fail_nth)
		return false;
	w->failed++;
	return true;
}

static struct rc_ring *watched_ring(struct watch *w)
{
	struct rc_ring_params p = {
		.entries = 64,
		.trace = watch_sqes,
		.trace_arg = w,
		.fail_path_copy = fail_one_path,
		.fail_arg = w,
	};
	struct rc_ring *r;
	int ret = rc_ring_create(&r, &p);

	if (ret)
		SKIP("io_uring unavailable: %s", rc_setup_advice(ret));
	return r;
}

/* Does this kernel answer a NOP with the result it is given? */
static bool nop_injects(struct rc_ring *r)
{
	struct io_uring *u = rc_ring_uring(r);
	struct io_uring_sqe *sqe = io_uring_get_sqe(u);
	struct io_uring_cqe *cqe;
	bool ok;

	ASSERT_TRUE(sqe != NULL);
	io_uring_prep_nop(sqe);
	answer_ecanceled(sqe);
	ASSERT_EQ(io_uring_submit(u), 1);
	ASSERT_EQ(io_uring_wait_cqe(u, &cqe), 0);
	ok = cqe->res == -ECANCELED;
	io_uring_cqe_seen(u, cqe);
	return ok;
}

/*
 * src/{a,b} and src/sub/{c,victim} copied into dst; dst/sub is there
 * already if sub_exists (then its files are linked into place, else
 * created under their final names in a staging directory).
 */
static int copy_tree(struct rc_ring *r, const char *root, bool sub_exists,
		     struct rc_tree_stats *st)
{
	struct rc_tree_opts o = t_tree_opts(8, 2, 65536);
	char src[128], sub[128], dst[128];
	struct rc_tree_src one = { .path = src };

	snprintf(src, sizeof(src), "%s/src", root);
	t_tree_file(src, "a", 5000, 'a');
	t_tree_file(src, "b", 300000, 'b');
	snprintf(sub, sizeof(sub), "%s/src/sub", root);
	t_tree_file(sub, "c", 9000, 'c');
	t_tree_file(sub, "victim", 7000, 'v');
	snprintf(src, sizeof(src), "%s/src/", root);
	snprintf(dst, sizeof(dst), "%s/dst", root);
	ASSERT_EQ(mkdir(dst, 0755), 0);
	if (sub_exists) {
		snprintf(sub, sizeof(sub), "%s/dst/sub", root);
		ASSERT_EQ(mkdir(sub, 0755), 0);
	}
	return rc_tree_copy(r, &one, 1, dst, &o, st);
}

TEST(a_close_answered_ecanceled_is_closed_by_its_job)
{
	static struct watch w = { .cancel_closes = true };
	struct rc_ring *r = watched_ring(&w);
	unsigned fds_before = t_count_open_fds();
	struct rc_tree_stats st;
	char root[64];

	if (!nop_injects(r))
		SKIP("no IORING_NOP_INJECT_RESULT (Linux 6.10) to answer "
		     "a CLOSE -ECANCELED with");
	t_scratch_dir(root, sizeof(root));
	EXPECT_EQ(copy_tree(r, root, false, &st), 0);
	EXPECT_EQ(st.files, 4);
	EXPECT_EQ(st.errors, 0);
	TH_LOG("%u CLOSEs answered -ECANCELED", w.closes);
	EXPECT_EQ(w.closes, 8);			/* source and copy, each file */
	EXPECT_EQ(t_count_open_fds(), fds_before);
	EXPECT_EQ(rc_ring_destroy(r, 5000), 0);
	t_scratch_remove(root);
}

/*
 * The copy with the nth path copy of (opcode, "victim") failing: that
 * file fails, with -ENOMEM, and nothing else.
 */
static void copy_failing_one_path(int opcode, unsigned nth, bool sub_exists)
{
	static struct watch w;
	struct rc_ring *r;
	unsigned fds_before;
	struct rc_tree_stats st;
	char root[64], victim[128];

	w.fail_opcode = opcode;
	w.fail_path = "victim";
	w.fail_nth = nth;
	r = watched_ring(&w);
	fds_before = t_count_open_fds();
	t_scratch_dir(root, sizeof(root));
	EXPECT_EQ(copy_tree(r, root, sub_exists, &st), 0);
	EXPECT_EQ(w.failed, 1);
	EXPECT_EQ(w.null_paths, 0);		/* no SQE with a NULL path */
	/* that file, and only that one, failed */
	EXPECT_EQ(st.errors, 1);
	EXPECT_EQ(st.files, 3);
	EXPECT_EQ(t_count_open_fds(), fds_before);
	snprintf(victim, sizeof(victim), "%s/dst/sub/victim", root);
	EXPECT_EQ(t_file_size(victim, NULL), -1);
	snprintf(victim, sizeof(victim), "%s/dst/sub/c", root);
	EXPECT_EQ(t_file_size(victim, NULL), 9000);
	EXPECT_EQ(rc_ring_destroy(r, 5000), 0);
	t_scratch_remove(root);
}

TEST(a_source_openat_that_cannot_be_prepared_fails_its_file)
{
	copy_failing_one_path(IORING_OP_OPENAT, 1, true);
}

TEST(a_source_statx_that_cannot_be_prepared_fails_its_file)
{
	copy_failing_one_path(IORING_OP_STATX, 1, true);
}

TEST(a_staged_create_that_cannot_be_prepared_fails_its_file)
{
	/* its source's openat is the first, its create the second */
	copy_failing_one_path(IORING_OP_OPENAT, 2, false);
}

TEST(a_linkat_into_place_that_cannot_be_prepared_fails_its_file)
{
	copy_failing_one_path(IORING_OP_LINKAT, 1, true);
}
