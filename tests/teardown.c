/* SPDX-License-Identifier: MIT */
/*
 * Description: tear a ring down with operations in flight.  Every buffer is
 * given back only after its op's CQE; the ring is freed only after the
 * exit barrier proves the kernel is done; an op that cannot finish makes
 * the teardown leak (on purpose, reachable) instead of freeing.
 */
#include <pthread.h>

#include "stall.h"
#include "testutil.h"

#define NOPS 8

TEST(teardown_with_pipe_reads_in_flight_frees_after_cqes)
{
	static struct t_recorder rec;
	struct rc_ring *r = t_make_ring(0, &rec, NULL);
	const void *bufs[NOPS];
	struct rc_op *ops[NOPS];
	int p[2], i;

	ASSERT_EQ(pipe(p), 0);
	for (i = 0; i < NOPS; i++) {
		ops[i] = t_op_with_buf(r, 4096);
		bufs[i] = ops[i]->buf;
		rc_op_prep_read(ops[i], p[0], 0, 4096, (uint64_t)-1);
		rc_op_submit(ops[i]);
	}
	ASSERT_GE(rc_ring_flush(r), NOPS);
	ASSERT_EQ(rc_ring_inflight(r), NOPS);
	ASSERT_EQ(rc_ring_destroy(r, 5000), 0);
	EXPECT_EQ(rec.count[RC_EV_CQE], NOPS);
	EXPECT_EQ(rec.count[RC_EV_BUF_PUT], NOPS);
	for (i = 0; i < NOPS; i++) {
		int cqe = t_rec_find(&rec, RC_EV_CQE, ops[i], NULL, 0);
		int put = t_rec_find(&rec, RC_EV_BUF_PUT, NULL, bufs[i], 0);

		ASSERT_GE(cqe, 0);
		EXPECT_EQ(rec.ev[cqe].res, -ECANCELED);
		EXPECT_GT(put, cqe);
	}
	EXPECT_EQ(rc_rings_leaked(), 0);
	close(p[0]);
	close(p[1]);
}

struct releaser {
	struct rh_stall *s;
	int delay_ms;
	uint64_t t_release;
};

static void *release_later(void *arg)
{
	struct releaser *rl = arg;

	usleep((useconds_t)rl->delay_ms * 1000);
	rl->t_release = rc_now_ns();
	rh_stall_release(rl->s, 0);
	return NULL;
}

/* A read stalled in io-wq; returns the ring. */
static struct rc_ring *stalled_read(struct rh_stall *s, struct t_borrowed *b,
				    struct t_recorder *rec, int *fdp)
{
	struct rc_ring *r;
	struct rc_op *op;
	char path[64];
	int ret;

	t_need_root();
	ret = rh_stall_create(s, 65536);
	if (ret)
		SKIP("userfaultfd: %s", strerror(-ret));
	*fdp = t_temp_file(path, sizeof(path), 65536, 'T');
	unlink(path);
	r = t_make_ring(0, rec, b);
	ASSERT_EQ(rc_op_get(r, &op), 0);
	rc_op_set_buf(op, s->area, 65536);
	rc_op_prep_read(op, *fdp, 0, 65536, 0);
	rc_op_set_flags(op, IOSQE_ASYNC);
	rc_op_submit(op);
	ASSERT_GE(rc_ring_flush(r), 1);
	ASSERT_EQ(rh_stall_wait_fault(s, 5000), 0);
	return r;
}

TEST(teardown_waits_for_op_running_in_io_wq)
{
	static struct t_recorder rec;
	struct t_borrowed b = { 0 };
	struct rh_stall s;
	struct releaser rl = { .s = &s, .delay_ms = 300 };
	pthread_t th;
	uint64_t t0;
	int fd;
	struct rc_ring *r = stalled_read(&s, &b, &rec, &fd);

	pthread_create(&th, NULL, release_later, &rl);
	t0 = rc_now_ns();
	ASSERT_EQ(rc_ring_destroy(r, 10000), 0);
	EXPECT_GE(rc_now_ns() - t0, 250ull * 1000000);
	pthread_join(th, NULL);
	EXPECT_EQ(b.puts, 1);
	EXPECT_GT(b.put_ns, rl.t_release);	/* given back after the CQE */
	EXPECT_EQ(rec.count[RC_EV_CQE], 1);
	for (unsigned i = 0; i < rec.n; i++) {
		if (rec.ev[i].ev != RC_EV_CQE)
			continue;
		EXPECT_EQ(rec.ev[i].res, 65536);	/* finished, not cut */
		EXPECT_GT(rec.ev[i].t_ns, rl.t_release);
	}
	EXPECT_EQ(rc_rings_leaked(), 0);
	rh_stall_destroy(&s);
	close(fd);
}

TEST(teardown_that_cannot_finish_leaks_instead_of_freeing)
{
	static struct t_recorder rec;
	struct t_borrowed b = { 0 };
	struct rh_stall s;
	int fd;
	struct rc_ring *r = stalled_read(&s, &b, &rec, &fd);

	EXPECT_EQ(rc_ring_destroy(r, 300), -ETIMEDOUT);
	EXPECT_EQ(rc_rings_leaked(), 1);
	EXPECT_EQ(b.puts, 0);			/* never given back */
	EXPECT_EQ(rec.count[RC_EV_RELEASE], 0);
	/* let the worker finish so the kernel can free the ring */
	rh_stall_release(&s, 0);
	usleep(100 * 1000);
	EXPECT_EQ(b.puts, 0);
	close(fd);
}
