/* SPDX-License-Identifier: MIT */
/*
 * Description: close-then-free teardown (compio #942/#943, monoio): the
 * ring is exited while a read is in flight and its buffer freed at once;
 * the kernel cancels such a read in its own time, after the free.
 * Fixed: cancel, wait for the read's own CQE, then exit and free.
 */
#include <liburing.h>
#include <unistd.h>

#include "rkt.h"

int main(int argc, char **argv)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	char *buf = malloc(4096);
	int p[2], done = 0;

	if (!buf || pipe(p))
		t_die("setup");
	t_ok(io_uring_queue_init(8, &ring, 0));
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read(sqe, p[0], buf, 4096, 0);	/* nothing to read */
	sqe->user_data = 1;
	t_ok(io_uring_submit(&ring));
	if (t_fixed(argc, argv)) {
		sqe = io_uring_get_sqe(&ring);
		io_uring_prep_cancel64(sqe, 1, 0);
		sqe->user_data = 2;
		t_ok(io_uring_submit(&ring));
		while (!done) {
			t_ok(io_uring_wait_cqe(&ring, &cqe));
			done = cqe->user_data == 1;
			io_uring_cqe_seen(&ring, cqe);
		}
	}
	io_uring_queue_exit(&ring);
	free(buf);
	close(p[0]);
	close(p[1]);
	return 0;
}
