/* SPDX-License-Identifier: MIT */
/*
 * Description: free on the cancel's answer (ringcp's cancel_trusted
 * mutant, the shape of seastar and glommio bugs): a read the kernel runs
 * in io-wq cannot be stopped at once; the cancel answers -EALREADY (or
 * -ENOENT), and the program frees the buffer on that answer while the
 * read still holds it (a FUSE read the test holds: root only).
 * Fixed: the buffer goes after the read's own CQE.
 */
#include <fcntl.h>
#include <liburing.h>
#include <unistd.h>

#include "rkt.h"
#include "rkt_hold.h"

static void reap(struct io_uring *ring, uint64_t want, int *res)
{
	struct io_uring_cqe *cqe;

	for (;;) {
		t_ok(io_uring_wait_cqe(ring, &cqe));
		if (cqe->user_data == want) {
			*res = cqe->res;
			io_uring_cqe_seen(ring, cqe);
			return;
		}
		io_uring_cqe_seen(ring, cqe);
	}
}

int main(int argc, char **argv)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	char *buf = malloc(4096);
	int fd, res;

	fd = rkt_hold_open();
	if (fd == -EPERM || fd == -ENODEV) {
		printf("skip: no FUSE hold: %s\n", strerror(-fd));
		return 77;
	}
	if (!buf || fd < 0)
		t_die("setup: %s", strerror(-fd));
	t_ok(io_uring_queue_init(8, &ring, 0));
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read(sqe, fd, buf, 4096, 0);
	sqe->user_data = 1;
	t_ok(io_uring_submit(&ring));
	if (!rkt_hold_wait())
		t_die("the read never reached the FUSE daemon");
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_cancel64(sqe, 1, 0);
	sqe->user_data = 2;
	t_ok(io_uring_submit(&ring));
	reap(&ring, 2, &res);
	if (res != -EALREADY && res != -ENOENT)
		t_die("the cancel answered %d: the read was stopped", res);
	if (!t_fixed(argc, argv))
		free(buf);		/* "cancelled": wrong */
	rh_fusehold_release(rkt_fh);
	reap(&ring, 1, &res);
	if (t_fixed(argc, argv))
		free(buf);
	io_uring_queue_exit(&ring);
	close(fd);
	return 0;		/* rkt_unhold() unmounts */
}
