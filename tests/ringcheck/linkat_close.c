/* SPDX-License-Identifier: MIT */
/*
 * Description: a directory fd closed under a queued linkat (tokio #7983,
 * PhotonLibOS #1270): a linkat waits in the kernel behind a read it is
 * linked to; the program closes the directory fd it names, and when the
 * read ends the linkat resolves the number to whatever file has it then.
 * Fixed: the fd is closed after the linkat's CQE.
 */
#include <fcntl.h>
#include <liburing.h>
#include <unistd.h>

#include "rkt.h"

/* dir and what the program made in it */
static void rkt_rmdir(const char *dir)
{
	static const char *const names[] = { "a", "b", "sub/b" };
	char path[64];
	unsigned i;

	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/sub", dir);
	rmdir(path);
	rmdir(dir);
}

int main(int argc, char **argv)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	char dir[] = "/tmp/rkt-linkat-XXXXXX", buf[8];
	int p[2], dfd, n;

	if (!mkdtemp(dir) || pipe(p))
		t_die("setup");
	dfd = open(dir, O_DIRECTORY | O_RDONLY);
	if (dfd < 0 || mkdirat(dfd, "sub", 0700) ||
	    close(openat(dfd, "a", O_CREAT | O_WRONLY, 0600)))
		t_die("setup: %s", strerror(errno));
	t_ok(io_uring_queue_init(8, &ring, 0));
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read(sqe, p[0], buf, sizeof(buf), 0);
	sqe->flags |= IOSQE_IO_LINK;
	sqe->user_data = 1;
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_linkat(sqe, dfd, "a", dfd, "b", 0);
	sqe->user_data = 2;
	t_ok(io_uring_submit(&ring));
	if (!t_fixed(argc, argv))
		close(dfd);
	if (write(p[1], "go", 2) != 2)
		t_die("write");
	for (n = 0; n < 2; n++) {
		t_ok(io_uring_wait_cqe(&ring, &cqe));
		io_uring_cqe_seen(&ring, cqe);
	}
	if (t_fixed(argc, argv))
		close(dfd);
	io_uring_queue_exit(&ring);
	rkt_rmdir(dir);
	return 0;
}
