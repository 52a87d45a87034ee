/* SPDX-License-Identifier: MIT */
/*
 * Description: each detector that does not trust the ledger, shown a real
 * violation: a late kernel write (a poll-armed pipe read whose buffer was
 * freed, then fed) hits a guard page as -EFAULT, or changes a poisoned
 * buffer; a program touch of a freed buffer is caught by the SIGSEGV
 * guard; an SQE pointing outside its op's buffer fails the submit-time
 * check; a leaked fd and a wrong checksum are reported.
 */
#include <sys/mman.h>

#include "checksum.h"
#include "harness.h"
#include "testutil.h"

static struct rh_harness_opts quiet_opts(enum rh_quarantine_mode mode)
{
	return (struct rh_harness_opts){ .scenario = "detector-test",
					 .quarantine = mode, .quiet = true };
}

/*
 * Raw liburing, not the engine: a pipe read into a quarantine buffer that
 * the test frees while the read waits, then data arrives.  Returns the
 * read's CQE result.
 */
static int late_kernel_write(struct rh_quarantine *q)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	void *buf;
	int p[2], res;

	ASSERT_EQ(io_uring_queue_init(8, &ring, 0), 0);
	ASSERT_EQ(pipe(p), 0);
	ASSERT_EQ(rh_buf_quarantine.get(q, 4096, &buf), 0);
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read(sqe, p[0], buf, 4096, (uint64_t)-1);
	ASSERT_EQ(io_uring_submit(&ring), 1);
	rh_buf_quarantine.put(q, buf, 4096);	/* the broken free */
	ASSERT_EQ(write(p[1], "late data", 9), 9);
	ASSERT_EQ(io_uring_wait_cqe(&ring, &cqe), 0);
	res = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);
	close(p[0]);
	close(p[1]);
	return res;
}

TEST(guard_quarantine_turns_a_late_kernel_write_into_efault)
{
	struct rh_quarantine q;

	rh_quarantine_init(&q, RH_QUARANTINE_GUARD, 1 << 20);
	EXPECT_EQ(late_kernel_write(&q), -EFAULT);
	rh_quarantine_drain(&q);
}

static unsigned poison_reports;
static void count_report(void *arg, int kind, const void *addr, size_t len)
{
	(void)arg; (void)addr; (void)len;
	poison_reports += kind == RH_Q_REPORT_POISON;
}

TEST(poison_quarantine_sees_a_late_kernel_write)
{
	struct rh_quarantine q;

	rh_quarantine_init(&q, RH_QUARANTINE_POISON, 1 << 20);
	q.report = count_report;
	EXPECT_EQ(late_kernel_write(&q), 9);	/* it landed */
	rh_quarantine_drain(&q);
	EXPECT_EQ(q.poison_failures, 1);
	EXPECT_EQ(poison_reports, 1);
}

TEST(poison_quarantine_is_quiet_without_late_writes)
{
	struct rh_quarantine q;
	void *buf;

	rh_quarantine_init(&q, RH_QUARANTINE_POISON, 1 << 20);
	q.report = count_report;
	ASSERT_EQ(rh_buf_quarantine.get(&q, 8192, &buf), 0);
	memset(buf, 1, 8192);
	rh_buf_quarantine.put(&q, buf, 8192);
	rh_quarantine_drain(&q);
	EXPECT_EQ(q.poison_failures, 0);
}

TEST(program_touch_of_freed_buffer_is_caught_by_the_segv_guard)
{
	struct rh_harness_opts o = quiet_opts(RH_QUARANTINE_GUARD);
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

TEST(sqe_outside_its_ops_buffer_fails_the_submit_check)
{
	struct rh_harness_opts o = quiet_opts(RH_QUARANTINE_GUARD);
	struct rc_ring_params p = { 0 };
	struct io_uring_sqe sqe;
	struct rc_ring *r;
	struct rc_op *op;
	void *buf;

	o.no_witness = true;	/* the submit below is faked: no request */
	rh_harness_start(&o);
	rh_harness_ring_params(&p);
	ASSERT_EQ(rc_ring_create(&r, &p), 0);
	ASSERT_EQ(rc_op_get(r, &op), 0);
	ASSERT_EQ(rc_buf_get(r, 4096, &buf), 0);
	rc_op_set_buf(op, buf, 4096);
	rc_op_prep_read(op, 0, 0, 4096, 0);
	/* what a broken engine might write: 4 KiB past the op's buffer */
	p.trace(p.trace_arg, RC_EV_SUBMIT, op, buf, 4096, 0);
	memset(&sqe, 0, sizeof(sqe));
	io_uring_prep_read(&sqe, 0, (char *)buf + 4096, 4096, 0);
	sqe.user_data = rc_op_user_data(op, RC_UD_OP);
	p.trace(p.trace_arg, RC_EV_SQE, op, &sqe, sizeof(sqe), 0);
	EXPECT_EQ(rh_harness_summary()->by_detector[RH_DET_SQE_CHECK], 1);
	/* and a right one passes (unpoisoned again, as after a CQE) */
	p.trace(p.trace_arg, RC_EV_DELIVER, op, buf, 4096, 0);
	io_uring_prep_read(&sqe, 0, buf, 4096, 0);
	sqe.user_data = rc_op_user_data(op, RC_UD_OP);
	p.trace(p.trace_arg, RC_EV_SQE, op, &sqe, sizeof(sqe), 0);
	EXPECT_EQ(rh_harness_summary()->by_detector[RH_DET_SQE_CHECK], 1);
	/* the fake submit never reached the kernel: settle the ledger */
	op->cqe_user_data = sqe.user_data;
	p.trace(p.trace_arg, RC_EV_CQE, op, buf, 4096, 0);
	rc_op_put(op);
	rc_ring_destroy(r, 1000);
	EXPECT_EQ(rh_harness_finish(), 1);
}

TEST(leaked_fd_is_reported)
{
	struct rh_harness_opts o = quiet_opts(RH_QUARANTINE_GUARD);
	int fd;

	rh_harness_start(&o);
	fd = dup(1);
	EXPECT_EQ(rh_harness_finish(), 1);
	EXPECT_EQ(rh_harness_summary()->by_detector[RH_DET_FD_COUNT], 1);
	close(fd);
}

TEST(checksum_tells_different_content_apart)
{
	char a[64], b[64];
	int fa = t_temp_file(a, sizeof(a), 0, 0), fb = t_temp_file(b, sizeof(b), 0, 0);
	uint64_t sa, sb;

	unlink(a);
	unlink(b);
	ASSERT_EQ(rh_fill_fd(fa, 100000, 7), 0);
	ASSERT_EQ(rh_fill_fd(fb, 100000, 7), 0);
	ASSERT_EQ(rh_checksum_fd(fa, 100000, &sa), 0);
	ASSERT_EQ(rh_checksum_fd(fb, 100000, &sb), 0);
	EXPECT_EQ(sa, sb);
	ASSERT_EQ(pwrite(fb, "x", 1, 54321), 1);
	ASSERT_EQ(rh_checksum_fd(fb, 100000, &sb), 0);
	EXPECT_NE(sa, sb);
}
