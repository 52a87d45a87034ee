/* SPDX-License-Identifier: MIT */
/*
 * Description: a read into a buffer of a function's frame, and a
 * longjmp out of that function before the read's CQE (an error path
 * unwinding the way C programs and some runtimes do).  Fixed: the CQE
 * first, then the longjmp.
 */
#include <liburing.h>
#include <setjmp.h>
#include <unistd.h>

#include "rkt.h"

static struct io_uring ring;
static jmp_buf out;
static int p[2], fixed;

static void wait_one(void)
{
	struct io_uring_cqe *cqe;

	t_ok(io_uring_wait_cqe(&ring, &cqe));
	io_uring_cqe_seen(&ring, cqe);
}

static __attribute__((noinline)) void reader(void)
{
	struct io_uring_sqe *sqe;
	char buf[512];

	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read(sqe, p[0], buf, sizeof(buf), 0);
	sqe->user_data = 4;
	t_ok(io_uring_submit(&ring));
	if (fixed) {
		if (write(p[1], "x", 1) != 1)
			t_die("write");
		wait_one();
	}
	longjmp(out, 1);		/* "an error": out of here */
}

int main(int argc, char **argv)
{
	fixed = t_fixed(argc, argv);
	if (pipe(p))
		t_die("pipe");
	t_ok(io_uring_queue_init(8, &ring, 0));
	if (!setjmp(out))
		reader();
	if (!fixed) {
		if (write(p[1], "x", 1) != 1)
			t_die("write");
		wait_one();
	}
	io_uring_queue_exit(&ring);
	return 0;
}
