/* SPDX-License-Identifier: MIT */
/*
 * Description: a read into a buffer on a thread's stack, and the thread
 * ends before the read's CQE (its stack goes to the next thread the
 * process makes).  Fixed: the thread waits for the CQE before it ends.
 */
#include <liburing.h>
#include <pthread.h>
#include <unistd.h>

#include "rkt.h"

static struct io_uring ring;
static int p[2], fixed;

static void *reader(void *arg)
{
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	char buf[512];

	(void)arg;
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read(sqe, p[0], buf, sizeof(buf), 0);
	sqe->user_data = 3;
	t_ok(io_uring_submit(&ring));
	if (fixed) {
		if (write(p[1], "x", 1) != 1)
			t_die("write");
		t_ok(io_uring_wait_cqe(&ring, &cqe));
		io_uring_cqe_seen(&ring, cqe);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct io_uring_cqe *cqe;
	pthread_t t;

	fixed = t_fixed(argc, argv);
	if (pipe(p))
		t_die("pipe");
	t_ok(io_uring_queue_init(8, &ring, 0));
	if (pthread_create(&t, NULL, reader, NULL) || pthread_join(t, NULL))
		t_die("thread");
	if (!fixed) {
		/* the read lands on a dead thread's stack */
		if (write(p[1], "x", 1) != 1)
			t_die("write");
		t_ok(io_uring_wait_cqe(&ring, &cqe));
		io_uring_cqe_seen(&ring, cqe);
	}
	io_uring_queue_exit(&ring);
	return 0;
}
