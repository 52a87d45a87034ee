/* SPDX-License-Identifier: MIT */
/*
 * Description: an IORING_OP_CLOSE of an fd a read in flight names (the
 * io_uring form of PhotonLibOS #1270): the close is not linked to the
 * read and runs at once.  Fixed: the close is linked behind the read
 * (IOSQE_IO_LINK), so it runs after the read's completion: a chain
 * ringcp's tree copy uses for every file, which ringcheck must not report.
 */
#include <liburing.h>
#include <unistd.h>

#include "rkt.h"

int main(int argc, char **argv)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	char buf[16];
	int p[2], n;

	if (pipe(p))
		t_die("setup");
	t_ok(io_uring_queue_init(8, &ring, 0));
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read(sqe, p[0], buf, sizeof(buf), 0);
	sqe->user_data = 1;
	if (t_fixed(argc, argv))
		sqe->flags |= IOSQE_IO_LINK;
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_close(sqe, p[0]);
	sqe->user_data = 2;
	t_ok(io_uring_submit(&ring));
	if (write(p[1], "x", 1) != 1)
		t_die("write");
	for (n = 0; n < 2; n++) {
		t_ok(io_uring_wait_cqe(&ring, &cqe));
		io_uring_cqe_seen(&ring, cqe);
	}
	io_uring_queue_exit(&ring);
	close(p[1]);
	return 0;
}
