/* SPDX-License-Identifier: MIT */
/*
 * Description: the event log (harness/evlog.c) writes every trace event
 * of the engine, in order, one line each, with the fields the protocol
 * model's conformance checker reads: a nop's life from rc_op_get to its
 * release, a pipe read cancelled in flight (the ASYNC_CANCEL queued and
 * answered, the op's own CQE; the fd it names and its user_data's life),
 * the proven teardown's steps, a close() of the program's, then END.
 */
#include "evlog.h"
#include "testutil.h"

static void t_evlog_trace(void *arg, enum rc_trace_event ev,
			  const struct rc_op *op, const void *buf, size_t len,
			  int64_t res)
{
	(void)arg;
	rh_evlog_event(ev, op, buf, len, res);
}

/* The log's lines' first words, space-separated; and the whole log. */
static void t_read_log(const char *path, char *names, size_t nlen,
		       char *all, size_t alen)
{
	FILE *f = fopen(path, "r");
	char line[512];
	size_t n = 0, a = 0;

	ASSERT_TRUE(f != NULL);
	names[0] = all[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		size_t w = strcspn(line, " \n");

		n += (size_t)snprintf(names + n, nlen - n, "%s%.*s",
				      n ? " " : "", (int)w, line);
		a += (size_t)snprintf(all + a, alen - a, "%s", line);
	}
	fclose(f);
}

TEST(events_of_a_nop_a_cancel_and_a_teardown)
{
	char path[] = "/tmp/rc-evlog-XXXXXX", names[2048], all[16384], want[64];
	struct rc_ring_params p = { .trace = t_evlog_trace };
	struct rc_ring *r;
	struct rc_op *op;
	int fd = mkstemp(path), pipefd[2], ret;

	ASSERT_GE(fd, 0);
	close(fd);
	ASSERT_EQ(rh_evlog_open(path), 0);
	ret = rc_ring_create(&r, &p);
	if (ret)
		SKIP("io_uring unavailable: %s", rc_setup_advice(ret));
	ASSERT_EQ(pipe(pipefd), 0);

	ASSERT_EQ(rc_op_get(r, &op), 0);
	rc_op_prep_nop(op);
	rc_op_submit(op);
	ASSERT_EQ(rc_ring_wait(r, 1, 2000), 1);
	ASSERT_TRUE(rc_ring_next(r) == op);
	rc_op_put(op);

	op = t_op_with_buf(r, 64);
	rc_op_prep_read(op, pipefd[0], 0, 64, (uint64_t)-1);
	rc_op_submit(op);
	ASSERT_GE(rc_ring_flush(r), 1);
	ASSERT_EQ(rc_op_cancel(op), 0);
	ASSERT_EQ(rc_ring_drain(r, 2000), 0);
	ASSERT_EQ(rc_ring_destroy(r, 2000), 0);
	rh_evlog_fd_close(42);	/* what the harness' close wrapper logs */
	rh_evlog_close();

	t_read_log(path, names, sizeof(names), all, sizeof(all));
	unlink(path);
	close(pipefd[0]);
	close(pipefd[1]);
	EXPECT_TRUE(!strncmp(names, "OP_GET OP_QUEUE SUBMIT OP_CQE CQE DELIVER "
			     "RELEASE ", 42));
	/* the read: its buffer, the cancel and its answer in either order
	 * with the op's -ECANCELED, the release and the buffer put */
	EXPECT_TRUE(strstr(names, "OP_GET BUF_GET OP_QUEUE SUBMIT CANCEL "
			   "CANCEL_SQE ") != NULL);
	EXPECT_TRUE(strstr(all, "OP_GET r=1 o=1.2 ") != NULL);	/* record 1,
								 * 2nd life */
	EXPECT_TRUE(strstr(all, "OP_QUEUE r=1 o=1.1 k=OTHER lk=0 lt=0 ") != NULL);
	EXPECT_TRUE(strstr(all, "SUBMIT r=1 o=1.2 b=1 k=READ ") != NULL);
	/* the fd its request names, the life its user_data carries: a new
	 * one per SQE (the nop's was the first) */
	snprintf(want, sizeof(want), "k=READ lk=0 lt=0 f=%d ud=2 ", pipefd[0]);
	EXPECT_TRUE(strstr(all, want) != NULL);
	EXPECT_TRUE(strstr(all, "OP_CQE r=1 o=1.2 same=1 ") != NULL);
	EXPECT_TRUE(strstr(all, "CANCEL_CQE r=1 o=1.2 own=2 st=3 res=0\n") !=
		    NULL);
	EXPECT_TRUE(strstr(all, "CQE r=1 o=1.2 own=0 st=3 res=-125\n") != NULL);
	EXPECT_TRUE(strstr(names, "RING_DRAIN RING_TEARDOWN RING_DRAIN RING_EXIT "
			   "RING_PROVEN RING_FREE CLOSE END") != NULL);
	EXPECT_TRUE(strstr(all, "RING_PROVEN r=1 res=0\nRING_FREE r=1 res=0\n"
			   "CLOSE f=42\nEND exit\n") != NULL);
}
