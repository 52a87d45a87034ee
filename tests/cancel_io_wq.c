/* SPDX-License-Identifier: MIT */
/*
 * Description: cancel a regular-file read and write that are running in an
 * io-wq worker, stalled on a userfaultfd buffer.  The cancel answers
 * -EALREADY; the op completes with its full length once the stall is
 * released, and the buffer stays with the kernel until that CQE.
 */
#include "stall.h"
#include "testutil.h"

#define LEN (64 * 1024)

static void check_stalled(bool write_op)
{
	static struct t_recorder rec;
	struct t_borrowed b = { 0 };
	struct rh_stall s;
	struct rc_ring *r;
	const struct rc_ring_stats *st;
	struct rc_op *op;
	char path[64], *back;
	uint64_t t_release;
	int fd, ret, cqe;

	t_need_root();
	ret = rh_stall_create(&s, LEN);
	if (ret)
		SKIP("userfaultfd: %s", strerror(-ret));
	fd = t_temp_file(path, sizeof(path), write_op ? 0 : LEN, 'D');
	unlink(path);
	r = t_make_ring(0, &rec, &b);
	st = rc_ring_stats(r);

	ASSERT_EQ(rc_op_get(r, &op), 0);
	ASSERT_EQ(rc_op_set_buf(op, s.area, LEN), 0);
	if (write_op)
		ASSERT_EQ(rc_op_prep_write(op, fd, 0, LEN, 0), 0);
	else
		ASSERT_EQ(rc_op_prep_read(op, fd, 0, LEN, 0), 0);
	rc_op_set_flags(op, IOSQE_ASYNC);
	ASSERT_EQ(rc_op_submit(op), 0);
	ASSERT_GE(rc_ring_flush(r), 1);
	ASSERT_EQ(rh_stall_wait_fault(&s, 5000), 0);

	ASSERT_EQ(rc_op_cancel(op), 0);
	/* wait for the cancel's answer; the op itself must not complete */
	while (st->cancel_res_ok + st->cancel_res_enoent +
	       st->cancel_res_ealready + st->cancel_res_other == 0)
		rc_ring_wait(r, 1, 1000);
	EXPECT_EQ(st->cancel_res_ealready, 1);
	usleep(50 * 1000);
	rc_ring_wait(r, 0, 0);
	EXPECT_EQ(rc_ring_inflight(r), 1);
	EXPECT_EQ(b.puts, 0);		/* still the kernel's */
	EXPECT_EQ(st->released, 0);

	t_release = rc_now_ns();
	ASSERT_EQ(rh_stall_release(&s, 'W'), 0);
	ASSERT_EQ(rc_ring_drain(r, 5000), 0);

	cqe = t_rec_find(&rec, RC_EV_CQE, op, NULL, 0);
	ASSERT_GE(cqe, 0);
	EXPECT_EQ(rec.ev[cqe].res, LEN);	/* the data really moved */
	EXPECT_GT(rec.ev[cqe].t_ns, t_release);
	EXPECT_EQ(b.puts, 1);
	EXPECT_GT(b.put_ns, rec.ev[cqe].t_ns - 1);
	if (write_op) {
		EXPECT_EQ(st->halt_write_bytes, LEN);
		back = malloc(LEN);
		EXPECT_EQ(pread(fd, back, LEN, 0), LEN);
		EXPECT_EQ(back[0], 'W');
		EXPECT_EQ(back[LEN - 1], 'W');
		free(back);
	} else {
		EXPECT_EQ(st->halt_read_bytes, LEN);
		/* the kernel wrote the file's data after the cancel */
		EXPECT_EQ(((char *)s.area)[0], 'D');
		EXPECT_EQ(((char *)s.area)[LEN - 1], 'D');
	}
	EXPECT_EQ(rc_ring_destroy(r, 2000), 0);
	rh_stall_destroy(&s);
	close(fd);
}

TEST(stalled_read_cancel_answers_ealready_then_completes_full)
{
	check_stalled(false);
}

TEST(stalled_write_cancel_answers_ealready_then_completes_full)
{
	check_stalled(true);
}
