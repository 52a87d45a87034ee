/* SPDX-License-Identifier: MIT */
/*
 * Description: an SQPOLL ring (the kernel's thread takes SQEs, no
 * io_uring_enter to stand in front of): ringcheck says so at start-up,
 * and still catches a read's buffer freed before its CQE, as taken or as
 * queued, whichever it finds.  With "fixed": freed after the CQE.
 */
#include <liburing.h>
#include <unistd.h>

#include "rkt.h"

int main(int argc, char **argv)
{
	struct io_uring_params p = { .flags = IORING_SETUP_SQPOLL,
				     .sq_thread_idle = 100 };
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	char *buf = malloc(4096);
	int fds[2];

	if (!buf || pipe(fds))
		t_die("setup");
	t_ok(io_uring_queue_init_params(8, &ring, &p));
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read(sqe, fds[0], buf, 4096, 0);
	sqe->user_data = 9;
	t_ok(io_uring_submit(&ring));
	if (!t_fixed(argc, argv))
		free(buf);
	if (write(fds[1], "x", 1) != 1)
		t_die("write");
	t_ok(io_uring_wait_cqe(&ring, &cqe));
	io_uring_cqe_seen(&ring, cqe);
	if (t_fixed(argc, argv))
		free(buf);
	io_uring_queue_exit(&ring);
	return 0;
}
