/* SPDX-License-Identifier: MIT */
/*
 * Description: free after a failed submit (tokio #8255/#8185): an SQE is
 * prepared, the submit fails, and the program frees the buffer as if the
 * request did not exist; but the SQE stays in the SQ and the next submit
 * hands it, with the freed buffer, to the kernel.
 * Fixed: the failed SQE is turned into a NOP before the buffer goes.
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
	int p[2], ret;

	if (!buf || pipe(p) || write(p[1], "x", 1) != 1)
		t_die("setup");
	t_ok(io_uring_queue_init(8, &ring, 0));
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read(sqe, p[0], buf, 4096, 0);
	sqe->user_data = 1;
	/* a submit that fails before the kernel takes anything */
	ret = io_uring_enter(ring.ring_fd, 1, 0, 1U << 31, NULL);
	if (ret != -EINVAL)
		t_die("the failing enter answered %d", ret);
	if (t_fixed(argc, argv))
		io_uring_prep_nop(sqe);
	free(buf);
	t_ok(io_uring_submit(&ring));
	t_ok(io_uring_wait_cqe(&ring, &cqe));
	io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);
	return 0;
}
