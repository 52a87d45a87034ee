/* SPDX-License-Identifier: MIT */
/*
 * Description: close-then-free teardown (compio #942/#943, monoio): the
 * ring is exited while a read is in flight and its buffer freed at once.
 * The read is one the kernel cannot cancel at once (a FUSE read the
 * program holds: root), so it still writes the buffer after the free; as
 * "pipe" it is a poll-armed pipe read, which the kernel cancels as the
 * ring closes, and the free comes 100 ms later: the kernel's witness
 * withdraws that report (root).  Without
 * root the FUSE read is not available and the pipe read is used.
 * Fixed: cancel, wait for the read's own CQE, then exit and free.
 */
#include <fcntl.h>
#include <liburing.h>
#include <unistd.h>

#include "rkt.h"
#include "rkt_hold.h"

/* The fd to read: a held FUSE file, or a pipe with nothing in it. */
static int source(int use_pipe, int *keep)
{
	int p[2], fd;

	*keep = -1;
	if (!use_pipe && (fd = rkt_hold_open()) >= 0)
		return fd;
	if (pipe(p))
		t_die("pipe");
	*keep = p[1];
	return p[0];
}

int main(int argc, char **argv)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	char *buf = malloc(4096);
	int fd, keep, done = 0;

	fd = source(argc > 1 && !strcmp(argv[1], "pipe"), &keep);
	if (!buf || fd < 0)
		t_die("setup");
	t_ok(io_uring_queue_init(8, &ring, 0));
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read(sqe, fd, buf, 4096, 0);
	sqe->user_data = 1;
	t_ok(io_uring_submit(&ring));
	rkt_hold_wait();
	if (t_fixed(argc, argv)) {
		sqe = io_uring_get_sqe(&ring);
		io_uring_prep_cancel64(sqe, 1, 0);
		sqe->user_data = 2;
		t_ok(io_uring_submit(&ring));
		if (rkt_fh)
			rh_fusehold_release(rkt_fh);	/* it cannot be stopped */
		while (!done) {
			t_ok(io_uring_wait_cqe(&ring, &cqe));
			done = cqe->user_data == 1;
			io_uring_cqe_seen(&ring, cqe);
		}
	}
	io_uring_queue_exit(&ring);
	if (!rkt_fh && !t_fixed(argc, argv))
		usleep(100000);	/* the kernel's cancel has run by now */
	free(buf);
	close(fd);
	if (keep >= 0)
		close(keep);
	return 0;
}
