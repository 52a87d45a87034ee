/* SPDX-License-Identifier: MIT */
/*
 * Description: registered buffers unregistered (and their memory freed)
 * while a fixed read still fills one (ringcp's fixed_unregister mutant's
 * shape).  Fixed: unregistered after the read's CQE.
 */
#include <liburing.h>
#include <sys/uio.h>
#include <unistd.h>

#include "rkt.h"

int main(int argc, char **argv)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	struct iovec iov = { .iov_len = 4096 };
	int p[2];

	iov.iov_base = malloc(4096);
	if (!iov.iov_base || pipe(p))
		t_die("setup");
	t_ok(io_uring_queue_init(8, &ring, 0));
	t_ok(io_uring_register_buffers(&ring, &iov, 1));
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read_fixed(sqe, p[0], iov.iov_base, 4096, 0, 0);
	sqe->user_data = 5;
	t_ok(io_uring_submit(&ring));
	if (!t_fixed(argc, argv))
		t_ok(io_uring_unregister_buffers(&ring));
	if (write(p[1], "x", 1) != 1)
		t_die("write");
	t_ok(io_uring_wait_cqe(&ring, &cqe));
	io_uring_cqe_seen(&ring, cqe);
	if (t_fixed(argc, argv))
		t_ok(io_uring_unregister_buffers(&ring));
	io_uring_queue_exit(&ring);
	free(iov.iov_base);
	return 0;
}
