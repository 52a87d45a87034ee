/* SPDX-License-Identifier: MIT */
/*
 * Description: the splice data path.  The kernel fact it relies on (a
 * short splice fails its link: the linked splice out comes back
 * -ECANCELED instead of waiting for bytes that never come, and what the
 * short one moved is still in the pipe); copies by splice pairs byte for
 * byte, with a source that shrinks mid-copy (short splices continued) or
 * grows, and an empty one; the pipe pool (at most max lent, a clean pipe
 * lent again, a dirty one closed, a cancelled pair's pipe kept open while
 * any request is in flight and never lent again); a cancelled copy's
 * pipes retired; pumps sharing a pool of one pipe both finish (the one
 * that found none waits and is woken); a woken pump that cannot make a
 * pipe (out of fds) waits again while a pipe is lent and fails through a
 * CQE when none is (no owner waits forever); auto splices from 64 KiB to 64 MiB
 * only, readwrite never; the
 * SQE map names both fds of a splice.
 */
#include <sys/ioctl.h>
#include <sys/resource.h>

#include "ringcp/copy.h"
#include "sqe_refs.h"
#include "testutil.h"

#define KiB 1024u

static int hook_src = -1;
static off_t truncate_to = -1;
static size_t append_len;
static unsigned splice_cqes;
static volatile sig_atomic_t *stop_on_first;

/* Trace hook: change the source, or stop, at the first splice's CQE. */
static void on_first_splice(void *arg, enum rc_trace_event ev,
			    const struct rc_op *op, const void *buf, size_t len,
			    int64_t res)
{
	(void)arg; (void)buf; (void)len; (void)res;
	if (ev != RC_EV_CQE || op->opcode != IORING_OP_SPLICE ||
	    splice_cqes++)
		return;
	if (truncate_to >= 0)
		ftruncate(hook_src, truncate_to);
	if (stop_on_first)
		*stop_on_first = 1;
	if (append_len) {
		char *more = malloc(append_len);

		memset(more, 'A', append_len);
		pwrite(hook_src, more, append_len, lseek(hook_src, 0, SEEK_END));
		free(more);
	}
}

static struct rc_ring *hooked_ring(void)
{
	struct rc_ring_params p = { .trace = on_first_splice };
	struct rc_ring *r;
	int ret = rc_ring_create(&r, &p);

	if (ret)
		SKIP("io_uring unavailable: %s", rc_setup_advice(ret));
	if (!rc_ring_has_op(r, IORING_OP_SPLICE))
		SKIP("no IORING_OP_SPLICE in this kernel");
	return r;
}

/* qd 0: 4 pairs in flight; the source-changing tests take 1, so that
 * no later pair has read before the change (the outcome would be a race) */
static int64_t copy_qd(struct rc_ring *r, int src, int dst, uint64_t hint,
		       enum rc_data_path path, struct rc_pipe_pool *pool,
		       unsigned qd)
{
	struct rc_copy_opts o = { .queue_depth = qd ? qd : 4,
				  .data_path = path, .pipes = pool };
	enum rc_copy_side side;
	int drain_err;
	int64_t n = rc_copy_fd(r, src, dst, hint, &o, &side, &drain_err);

	EXPECT_EQ(drain_err, 0);
	EXPECT_EQ(rc_ring_inflight(r), 0);
	return n;
}

static int64_t copy(struct rc_ring *r, int src, int dst, uint64_t hint,
		    enum rc_data_path path, struct rc_pipe_pool *pool)
{
	return copy_qd(r, src, dst, hint, path, pool, 0);
}

static int pipe_bytes(int fd)
{
	int n = -1;

	ioctl(fd, FIONREAD, &n);
	return n;
}

TEST(short_splice_fails_its_link_and_leaves_its_bytes_in_the_pipe)
{
	struct rc_ring *r = hooked_ring();
	struct rc_op *in, *out, *a, *b;
	int src, dst, p[2];

	t_file_pair(1000, &src, &dst);
	ASSERT_EQ(pipe(p), 0);
	ASSERT_EQ(rc_op_get(r, &in), 0);
	ASSERT_EQ(rc_op_get(r, &out), 0);
	ASSERT_EQ(rc_op_prep_splice(in, src, 0, p[1], RC_SPLICE_NO_OFF,
				    64 * KiB, 0), 0);
	ASSERT_EQ(rc_op_set_flags(in, IOSQE_IO_LINK), 0);
	ASSERT_EQ(rc_op_prep_splice(out, p[0], RC_SPLICE_NO_OFF, dst, 0,
				    64 * KiB, 0), 0);
	ASSERT_EQ(rc_op_submit(in), 0);
	ASSERT_EQ(rc_op_submit(out), 0);
	/* a hang here is the bug: the out waiting for 63 KiB more */
	ASSERT_EQ(rc_ring_flush(r), 2);
	while (rc_ring_inflight(r))
		ASSERT_GE(rc_ring_wait(r, 1, 5000), 0);
	a = rc_ring_next(r);
	b = rc_ring_next(r);
	ASSERT_TRUE(a == in && b == out);	/* in its CQE order */
	EXPECT_EQ(in->res, 1000);
	EXPECT_EQ(out->res, -ECANCELED);
	EXPECT_EQ(pipe_bytes(p[0]), 1000);
	rc_op_put(in);
	rc_op_put(out);
	close(p[0]);
	close(p[1]);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
}

TEST(splice_copy_is_byte_for_byte_with_odd_sizes)
{
	static const size_t sizes[] = { 1, 4095, 1024 * KiB, 3 * 1024 * KiB + 5 };
	struct rc_ring *r = hooked_ring();
	unsigned i;

	for (i = 0; i < 4; i++) {
		int src, dst;

		t_file_pair(sizes[i], &src, &dst);
		EXPECT_EQ(copy(r, src, dst, sizes[i], RC_DATA_SPLICE, NULL),
			  (int64_t)sizes[i]);
		t_expect_same_files(src, dst, (int64_t)sizes[i]);
		close(src);
		close(dst);
	}
	EXPECT_GT(rc_ring_stats(r)->splices, 0);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
}

TEST(empty_source_by_splice_ends_on_a_zero_splice)
{
	struct rc_ring *r = hooked_ring();
	int src, dst;

	t_file_pair(0, &src, &dst);
	EXPECT_EQ(copy(r, src, dst, 0, RC_DATA_SPLICE, NULL), 0);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
}

TEST(source_shrinking_mid_copy_short_splices_are_continued)
{
	struct rc_ring *r = hooked_ring();
	int src, dst;

	t_file_pair(4096 * KiB, &src, &dst);
	hook_src = src;
	truncate_to = 1500 * KiB + 77;	/* inside the second chunk */
	splice_cqes = 0;
	EXPECT_EQ(copy_qd(r, src, dst, 4096 * KiB, RC_DATA_SPLICE, NULL, 1),
		  1500 * KiB + 77);
	t_expect_same_files(src, dst, 1500 * KiB + 77);
	truncate_to = -1;
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
}

TEST(source_growing_mid_copy_is_copied_to_the_eof_read)
{
	struct rc_ring *r = hooked_ring();
	int src, dst;

	t_file_pair(2048 * KiB, &src, &dst);
	hook_src = src;
	append_len = 300 * KiB + 3;
	splice_cqes = 0;
	EXPECT_EQ(copy_qd(r, src, dst, 2048 * KiB, RC_DATA_SPLICE, NULL, 1),
		  2348 * KiB + 3);
	t_expect_same_files(src, dst, 2348 * KiB + 3);
	append_len = 0;
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
}

TEST(pool_lends_at_most_max_and_reuses_only_clean_pipes)
{
	struct rc_ring *r = hooked_ring();
	struct rc_pipe_pool *pool;
	struct rc_pipe *a, *b, *c;
	int rfd;

	ASSERT_EQ(rc_pipe_pool_create(r, 2, 64 * KiB, &pool), 0);
	EXPECT_EQ(rc_pipe_pool_chunk(pool), 64 * KiB);
	ASSERT_EQ(rc_pipe_get(pool, &a), 0);
	ASSERT_EQ(rc_pipe_get(pool, &b), 0);
	EXPECT_EQ(rc_pipe_get(pool, &c), -EAGAIN);
	EXPECT_EQ(rc_pipe_pool_lent(pool), 2);
	EXPECT_EQ(fcntl(a->wfd, F_GETPIPE_SZ), 64 * (int)KiB);
	rc_pipe_put(pool, a, RC_PIPE_CLEAN);
	ASSERT_EQ(rc_pipe_get(pool, &c), 0);
	EXPECT_TRUE(c == a);		/* clean: lent again */
	/* dirty: closed at once, a fresh one made */
	rfd = b->rfd;
	ASSERT_EQ(write(b->wfd, "stale", 5), 5);
	rc_pipe_put(pool, b, RC_PIPE_DIRTY);
	EXPECT_EQ(fcntl(rfd, F_GETFD), -1);
	ASSERT_EQ(rc_pipe_get(pool, &b), 0);
	EXPECT_EQ(pipe_bytes(b->rfd), 0);
	EXPECT_EQ(rc_pipe_pool_stats(pool)->dirty, 1);
	EXPECT_EQ(rc_pipe_pool_stats(pool)->made, 3);
	rc_pipe_put(pool, b, RC_PIPE_CLEAN);
	rc_pipe_put(pool, c, RC_PIPE_CLEAN);
	EXPECT_EQ(rc_pipe_pool_destroy(pool), 0);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
}

TEST(named_pipe_stays_open_while_requests_fly_and_is_never_lent_again)
{
	struct rc_ring *r = hooked_ring();
	struct rc_pipe_pool *pool;
	struct rc_pipe *a, *b;
	struct rc_op *op;
	int p[2], rfd;

	ASSERT_EQ(rc_pipe_pool_create(r, 1, 64 * KiB, &pool), 0);
	ASSERT_EQ(rc_pipe_get(pool, &a), 0);
	rfd = a->rfd;
	ASSERT_EQ(write(a->wfd, "stale", 5), 5);
	rc_pipe_put(pool, a, RC_PIPE_NAMED);
	EXPECT_EQ(rc_pipe_pool_retired(pool), 1);
	/* a request in flight (a read of an empty pipe): the ring is not
	 * quiet, so the retired pipe stays open */
	ASSERT_EQ(pipe(p), 0);
	op = t_op_with_buf(r, 16);
	ASSERT_EQ(rc_op_prep_read(op, p[0], 0, 16, 0), 0);
	ASSERT_EQ(rc_op_submit(op), 0);
	ASSERT_GE(rc_ring_flush(r), 1);
	ASSERT_EQ(rc_pipe_get(pool, &b), 0);
	EXPECT_TRUE(b != a);
	EXPECT_NE(fcntl(rfd, F_GETFD), -1);
	EXPECT_EQ(rc_pipe_pool_retired(pool), 1);
	rc_pipe_put(pool, b, RC_PIPE_CLEAN);
	/* quiet again: the next get closes it */
	ASSERT_EQ(write(p[1], "x", 1), 1);
	while (rc_ring_inflight(r))
		ASSERT_GE(rc_ring_wait(r, 1, 2000), 0);
	rc_op_put(rc_ring_next(r));
	ASSERT_EQ(rc_pipe_get(pool, &b), 0);
	EXPECT_EQ(rc_pipe_pool_retired(pool), 0);
	EXPECT_EQ(fcntl(rfd, F_GETFD), -1);
	EXPECT_EQ(pipe_bytes(b->rfd), 0);
	rc_pipe_put(pool, b, RC_PIPE_CLEAN);
	EXPECT_EQ(rc_pipe_pool_destroy(pool), 0);
	close(p[0]);
	close(p[1]);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
}

TEST(cancelled_pair_retires_its_pipe_and_the_next_copy_is_clean)
{
	struct rc_ring *r = hooked_ring();
	volatile sig_atomic_t stop = 0;
	struct rc_pipe_pool *pool;
	struct rc_copy_opts o = { .queue_depth = 4, .stop = &stop,
				  .data_path = RC_DATA_SPLICE };
	enum rc_copy_side side;
	int src, dst, drain_err;

	ASSERT_EQ(rc_pipe_pool_create(r, 4, RC_SPLICE_CHUNK, &pool), 0);
	o.pipes = pool;
	t_file_pair(8192 * KiB, &src, &dst);
	stop_on_first = &stop;
	splice_cqes = 0;
	EXPECT_EQ(rc_copy_fd(r, src, dst, 8192 * KiB, &o, &side, &drain_err),
		  -EINTR);
	stop_on_first = NULL;
	EXPECT_EQ(drain_err, 0);
	EXPECT_EQ(rc_ring_inflight(r), 0);
	EXPECT_EQ(rc_pipe_pool_lent(pool), 0);
	/* pairs were cut in flight: their pipes retired, none lent again */
	EXPECT_GT(rc_pipe_pool_stats(pool)->retired, 0);
	close(dst);
	t_file_pair(8192 * KiB + 3, &src, &dst);
	EXPECT_EQ(copy(r, src, dst, 8192 * KiB + 3, RC_DATA_SPLICE, pool),
		  8192 * KiB + 3);
	t_expect_same_files(src, dst, 8192 * KiB + 3);
	EXPECT_EQ(rc_pipe_pool_retired(pool), 0);
	EXPECT_EQ(rc_pipe_pool_destroy(pool), 0);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
}

TEST(pumps_sharing_one_pipe_both_finish)
{
	struct rc_ring *r = hooked_ring();
	struct rc_pipe_pool *pool;
	struct rc_copy_opts o = { .queue_depth = 4,
				  .data_path = RC_DATA_SPLICE };
	struct rc_pump p1, p2;
	struct rc_op *op;
	int s1, d1, s2, d2;

	ASSERT_EQ(rc_pipe_pool_create(r, 1, 256 * KiB, &pool), 0);
	o.pipes = pool;
	t_file_pair(1024 * KiB + 1, &s1, &d1);
	t_file_pair(700 * KiB, &s2, &d2);
	ASSERT_EQ(rc_pump_start(&p1, r, s1, d1, 0, 1024 * KiB + 1, true, &o), 0);
	ASSERT_EQ(rc_pump_start(&p2, r, s2, d2, 0, 700 * KiB, true, &o), 0);
	EXPECT_TRUE(p2.waiting);	/* p1 holds the one pipe */
	EXPECT_FALSE(rc_pump_done(&p2));
	while (!rc_pump_done(&p1) || !rc_pump_done(&p2)) {
		ASSERT_GE(rc_ring_wait(r, 1, 5000), 0);
		while ((op = rc_ring_next(r)))
			ASSERT_EQ(rc_pump_complete(rc_pump_of(op), op), 0);
	}
	EXPECT_EQ(rc_pump_eof(&p1), 1024 * KiB + 1);
	EXPECT_EQ(rc_pump_eof(&p2), 700 * KiB);
	rc_pump_end(&p1);
	rc_pump_end(&p2);
	t_expect_same_files(s1, d1, 1024 * KiB + 1);
	t_expect_same_files(s2, d2, 700 * KiB);
	EXPECT_GT(rc_pipe_pool_stats(pool)->waits, 0);
	EXPECT_EQ(rc_pipe_pool_stats(pool)->made, 1);
	EXPECT_EQ(rc_pipe_pool_destroy(pool), 0);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
}

/*
 * No new fd from here on (RLIMIT_NOFILE at the lowest free one): a pipe
 * cannot be made, EMFILE.  Returns the old limit for t_fds_back.
 */
static struct rlimit t_no_more_fds(void)
{
	struct rlimit old, low;
	int fd = dup(0);

	ASSERT_GE(fd, 0);
	close(fd);
	ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = (rlim_t)fd;
	ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
	EXPECT_EQ(dup(0), -1);
	return old;
}

static void t_fds_back(const struct rlimit *old)
{
	ASSERT_EQ(setrlimit(RLIMIT_NOFILE, old), 0);
}

/* Start a one-pair splice pump on a fresh file pair of len bytes. */
static void start_pump(struct rc_pump *p, struct rc_ring *r,
		       const struct rc_copy_opts *o, size_t len, int *s, int *d)
{
	t_file_pair(len, s, d);
	ASSERT_EQ(rc_pump_start(p, r, *s, *d, 0, len, true, o), 0);
}

TEST(woken_pump_that_cannot_make_a_pipe_fails_through_a_cqe)
{
	struct rc_ring *r = hooked_ring();
	struct rc_pipe_pool *pool;
	struct rc_copy_opts o = { .queue_depth = 1,
				  .data_path = RC_DATA_SPLICE };
	uint64_t deadline = rc_now_ns() + 2000000000ull;
	struct rc_pump a, b;
	struct rlimit old;
	bool told = false;
	struct rc_op *op;
	int sa, da, sb, db;

	ASSERT_EQ(rc_pipe_pool_create(r, 1, 64 * KiB, &pool), 0);
	o.pipes = pool;
	start_pump(&a, r, &o, 256 * KiB, &sa, &da);
	start_pump(&b, r, &o, 256 * KiB, &sb, &db);
	ASSERT_TRUE(b.waiting);		/* a holds the one pipe */
	ASSERT_EQ(rc_ring_flush(r), 2);	/* a's pair is the kernel's */
	old = t_no_more_fds();
	/* a given up in flight: its pipe retired (kept open, never lent
	 * again), none lent: b is woken and cannot make one */
	rc_pump_abort(&a);
	t_fds_back(&old);
	EXPECT_FALSE(b.waiting);
	/* b's owner learns it from a CQE, as from any op (a hang of the
	 * tree copy if not: its job waits for one) */
	while (!told && rc_now_ns() < deadline) {
		(void)rc_ring_wait(r, 1, 100);	/* -ETIME: nothing came */
		while ((op = rc_ring_next(r))) {
			ASSERT_TRUE(rc_pump_of(op) == &b);
			EXPECT_EQ(rc_pump_complete(&b, op), -EMFILE);
			told = true;
		}
	}
	EXPECT_TRUE(told);
	EXPECT_TRUE(rc_pump_done(&b));
	EXPECT_EQ(b.err, -EMFILE);
	rc_pump_end(&b);
	EXPECT_EQ(rc_ring_drain(r, 2000), 0);
	EXPECT_EQ(rc_pipe_pool_lent(pool), 0);
	EXPECT_EQ(rc_pipe_pool_destroy(pool), 0);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
}

TEST(woken_pump_out_of_fds_waits_while_a_pipe_will_come_back)
{
	struct rc_ring *r = hooked_ring();
	struct rc_pipe_pool *pool;
	struct rc_copy_opts o = { .queue_depth = 1,
				  .data_path = RC_DATA_SPLICE };
	struct rc_pump a, b, c;
	struct rlimit old;
	struct rc_op *op;
	int sa, da, sb, db, sc, dc;

	ASSERT_EQ(rc_pipe_pool_create(r, 2, 64 * KiB, &pool), 0);
	o.pipes = pool;
	start_pump(&a, r, &o, 64 * KiB, &sa, &da);	/* one pair */
	start_pump(&c, r, &o, 256 * KiB, &sc, &dc);
	start_pump(&b, r, &o, 300 * KiB, &sb, &db);
	ASSERT_TRUE(b.waiting);		/* a and c hold both pipes */
	ASSERT_EQ(rc_ring_flush(r), 4);
	old = t_no_more_fds();
	/* c's pipe retired, a's still lent: b cannot make one, but a's
	 * comes back clean: b waits for it instead of failing */
	rc_pump_abort(&c);
	EXPECT_TRUE(b.waiting);
	EXPECT_EQ(b.err, 0);
	while (!rc_pump_done(&a) || !rc_pump_done(&b)) {
		ASSERT_GE(rc_ring_wait(r, 1, 5000), 0);
		while ((op = rc_ring_next(r)))
			ASSERT_EQ(rc_pump_complete(rc_pump_of(op), op), 0);
	}
	t_fds_back(&old);
	EXPECT_EQ(rc_pump_eof(&b), 300 * KiB);
	t_expect_same_files(sa, da, 64 * KiB);
	t_expect_same_files(sb, db, 300 * KiB);
	rc_pump_end(&a);
	rc_pump_end(&b);
	EXPECT_EQ(rc_ring_drain(r, 2000), 0);
	EXPECT_EQ(rc_pipe_pool_destroy(pool), 0);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
}

TEST(auto_splices_its_size_classes_only_and_readwrite_never)
{
	struct rc_ring *r = hooked_ring();
	uint64_t before;
	int src, dst;

	t_file_pair(RC_SPLICE_AUTO_MIN_BYTES - 1, &src, &dst);
	EXPECT_EQ(copy(r, src, dst, RC_SPLICE_AUTO_MIN_BYTES - 1, RC_DATA_AUTO,
		       NULL), RC_SPLICE_AUTO_MIN_BYTES - 1);
	EXPECT_EQ(rc_ring_stats(r)->splices, 0);
	t_file_pair(2048 * KiB, &src, &dst);
	EXPECT_EQ(copy(r, src, dst, 2048 * KiB, RC_DATA_READWRITE, NULL),
		  2048 * KiB);
	EXPECT_EQ(rc_ring_stats(r)->splices, 0);
	EXPECT_EQ(copy(r, src, dst, 2048 * KiB, RC_DATA_AUTO, NULL),
		  2048 * KiB);
	EXPECT_GT(rc_ring_stats(r)->splices, 0);
	t_expect_same_files(src, dst, 2048 * KiB);
	/* above the largest size splice won at: read and write */
	before = rc_ring_stats(r)->splices;
	t_file_pair(RC_SPLICE_AUTO_MAX_BYTES + 4096, &src, &dst);
	EXPECT_EQ(copy(r, src, dst, RC_SPLICE_AUTO_MAX_BYTES + 4096,
		       RC_DATA_AUTO, NULL),
		  (int64_t)RC_SPLICE_AUTO_MAX_BYTES + 4096);
	EXPECT_EQ(rc_ring_stats(r)->splices, before);
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
}

TEST(splice_sqe_names_both_fds)
{
	struct io_uring_sqe sqe;
	struct rh_sqe_refs refs;

	memset(&sqe, 0, sizeof(sqe));
	io_uring_prep_splice(&sqe, 7, 0, 9, -1, 4096, 0);
	rh_sqe_refs(&sqe, &refs);
	ASSERT_EQ(refs.nfds, 2);
	EXPECT_EQ(refs.fd[0], 7);
	EXPECT_EQ(refs.fd[1], 9);
	EXPECT_EQ(refs.nranges, 0);
	/* fd_in a registered file: only fd_out is a number */
	io_uring_prep_splice(&sqe, 3, 0, 9, -1, 4096, SPLICE_F_FD_IN_FIXED);
	rh_sqe_refs(&sqe, &refs);
	ASSERT_EQ(refs.nfds, 1);
	EXPECT_EQ(refs.fd[0], 9);
}
