/* SPDX-License-Identifier: MIT */
/*
 * Description: a request held in the kernel past the drain limit (a
 * userfaultfd stall in io-wq, released only afterwards).  A ring teardown
 * whose drain times out must free nothing the request references and
 * close nothing it names: the barrier never proves the ring gone, so the
 * ring, its records and buffers are leaked on purpose.  A tree copy's
 * abort whose drain times out must keep its jobs and their fds: here the
 * copy reads from a filesystem that holds the read of one file (FUSE,
 * harness/fusehold.h), and the abort must not close that file's fd.  The harness' ledger, fd ledger
 * and the witness watch it all; rings leaked on purpose keep their
 * buffers and fds without a violation.  Needs root (userfaultfd).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ringcp/tree.h"
#include "fusehold.h"
#include "scenario.h"
#include "stall.h"

#define LEN		(64 * 1024)
#define DRAIN_MS	200

/* A buffer the kernel will stall on: the op's own, or (buffer ring) the
 * one the next read picks.  Its pages are made missing first. */
static int stall_on(struct rc_ring *r, struct rc_op *op, enum rh_dir dir,
		    int fd, struct rh_stall *st)
{
	void *area = op->buf;
	size_t len = LEN;

	if (dir == RH_DIR_READ && rc_ring_buf_select(r)) {
		rh_scenario_prep_read(op, fd, 0, LEN, 0);
		if (rc_ring_buf_peek(r, &area, &len))
			return -ENOENT;
	}
	madvise(area, len, MADV_DONTNEED);	/* recycled memory too */
	return rh_stall_attach(st, area, len);
}

/*
 * Prepare op (its outcome to *o) to read or write fd, submit it ASYNC
 * (into io-wq) and wait until its worker stalls on st.
 */
static int hold(struct rc_ring *r, struct rc_op *op, struct rh_outcome *o,
		enum rh_dir dir, int fd, struct rh_stall *st)
{
	rh_scenario_watch(op, o);
	if (dir == RH_DIR_READ)
		rh_scenario_prep_read(op, fd, 0, LEN, 0);
	else
		rc_op_prep_write(op, fd, 0, LEN, 0);
	rc_op_set_flags(op, IOSQE_ASYNC);
	rc_op_submit(op);
	rc_ring_flush(r);
	return rh_stall_wait_fault(st, 5000);
}

/*
 * A ring torn down with a request held: -ETIMEDOUT, nothing freed or
 * closed, the ring leaked.  Returns 0, 1 if not as it must be, or -errno
 * (the stall could not be set up).
 */
static int ring_part(struct rh_scenario *s, int fd, enum rh_dir dir)
{
	struct rc_ring *r = rh_scenario_ring(s, 32);
	struct rc_op *op = rh_scenario_op(r, LEN);
	unsigned leaked = rc_rings_leaked();
	struct rh_outcome out;
	struct rh_stall st;
	int ret;

	ret = stall_on(r, op, dir, fd, &st);
	if (ret) {
		rc_op_put(op);
		rh_scenario_ring_done(s, r);
		return ret;
	}
	if (hold(r, op, &out, dir, fd, &st)) {
		fprintf(stderr, "drain_timeout: the worker never faulted\n");
		rh_stall_release(&st, 0);
		return 1;
	}
	rh_harness_add_ring(r);
	ret = rc_ring_destroy(r, DRAIN_MS);
	/* the kernel holds the request: leaked, its file still open */
	if (ret != -ETIMEDOUT || rc_rings_leaked() != leaked + 1 ||
	    fcntl(fd, F_GETFD) < 0) {
		fprintf(stderr, "drain_timeout: teardown answered %d, %u ring(s) "
			"leaked, fd %s\n", ret, rc_rings_leaked() - leaked,
			fcntl(fd, F_GETFD) < 0 ? "closed" : "open");
		rh_stall_release(&st, 0);
		return 1;
	}
	rh_stall_release(&st, 'x');	/* the kernel finishes, unreaped */
	rh_scenario_hit(s, RH_ST_DRAIN_TIMEOUT, dir, &out);
	return 0;
}

/* The tree part's chaos hook: abort once the tree's read of the held
 * file is held in the kernel. */
struct abort_hold {
	struct rh_fusehold *fh;
	bool aborted;
};

static int abort_when_held(void *arg, unsigned busy)
{
	struct abort_hold *h = arg;

	(void)busy;
	if (h->aborted || !rh_fusehold_held(h->fh))
		return RC_CHAOS_NONE;
	h->aborted = true;
	return RC_CHAOS_CANCEL_FILE;
}

/* An fd of this process open on path, or -1. */
static int fd_open_on(const char *path)
{
	char target[PATH_MAX];
	struct dirent *de;
	int fd = -1;
	DIR *d = opendir("/proc/self/fd");

	while (d && fd < 0 && (de = readdir(d))) {
		ssize_t n = readlinkat(dirfd(d), de->d_name, target,
				       sizeof(target) - 1);

		if (n <= 0)
			continue;
		target[n] = '\0';
		if (!strcmp(target, path))
			fd = atoi(de->d_name);
	}
	if (d)
		closedir(d);
	return fd;
}

/*
 * A tree copy from a filesystem whose first file's read the test holds
 * (FUSE: the tree's own read waits in io-wq, and its cancel cannot end
 * it), aborted once it is held: the abort's drain times out, it answers
 * -ETIMEDOUT, and the file's fd, which the held read names, is still
 * open; the ring's teardown then leaks it.  Returns 0, 1 if not as it
 * must be, or -errno if the filesystem cannot be mounted here.
 */
static int tree_part(struct rh_scenario *s)
{
	char mnt[sizeof("/var/tmp/rc-drain-src-XXXXXX") + 1] =
		"/var/tmp/rc-drain-src-XXXXXX";	/* room for the "/" below */
	char dst[] = "/var/tmp/rc-drain-dst-XXXXXX";
	char held[PATH_MAX];
	struct abort_hold h = { 0 };
	struct rc_tree_src one = { .path = NULL };	/* .base NULL: not --files-from */
	struct rc_tree_opts o = {
		.recursive = true, .files_in_flight = 4,
		.copy = { .queue_depth = 2, .block_size = 16384,
			  .drain_ms = DRAIN_MS, .chaos = abort_when_held,
			  .chaos_arg = &h },
	};
	struct rh_outcome out = { .res = 0 };
	struct rc_tree_stats tst;
	struct rc_ring *r;
	int ret, fd, bad = 0;

	if (!mkdtemp(mnt) || !mkdtemp(dst))
		return 1;
	ret = rh_fusehold_mount(&h.fh, mnt, 8, 256 * 1024, 0);
	if (ret) {
		rmdir(mnt);
		rmdir(dst);
		return ret;
	}
	snprintf(held, sizeof(held), "%s/f00", mnt);
	strcat(mnt, "/");	/* its contents, into dst */
	one.path = mnt;
	r = rh_scenario_ring(s, 256);
	ret = rc_tree_copy(r, &one, 1, dst, &o, &tst);
	fd = fd_open_on(held);
	if (!h.aborted || ret != -ETIMEDOUT || fd < 0) {
		fprintf(stderr, "drain_timeout: the abort %s, answered %d, and "
			"the held read's file is %s\n", h.aborted ? "came" :
			"never came", ret, fd < 0 ? "closed" : "open");
		bad = 1;
	} else {
		rh_scenario_hit(s, RH_ST_ABORT_TIMEOUT, RH_DIR_READ, &out);
	}
	rh_harness_add_ring(r);
	rc_ring_destroy(r, DRAIN_MS);	/* still held: leaked */
	rh_fusehold_unmount(h.fh);	/* the read is answered now */
	return bad;
}

int main(int argc, char **argv)
{
	struct rh_scenario s;
	bool fixed, no_uffd = false, no_fuse = false;
	int fd, d, ret = 0;

	rh_scenario_begin(&s, "drain_timeout", argc, argv, 4,
			  RH_ST_DRAIN_TIMEOUT);
	rh_scenario_scope(&s, RH_ST_ABORT_TIMEOUT, RH_DIR_READ);
	fd = rh_scenario_file(&s, 1 << 20, 0);
	/* leaked rings keep the fds their requests name, aborts that kept
	 * their jobs keep the jobs' fds, the held filesystem's daemon its
	 * device: what matters, that none a request names is closed, the fd
	 * ledger and the witness check */
	rh_harness_fds_kept(-1);
	/* registered buffers are pinned: the kernel's copy never faults */
	fixed = !strcmp(rh_harness_buffers(), "fixed");
	for (d = 0; fixed && d < RH_DIR__COUNT; d++)
		rh_scenario_unreachable(&s, RH_ST_DRAIN_TIMEOUT, d,
					"registered buffers are pinned: the "
					"kernel's copy never faults, so no "
					"userfaultfd stall holds it");
	/* each iteration holds a read and a write past the drain, so one
	 * iteration (a quick run's share) covers both directions */
	while (!ret && rh_scenario_more(&s)) {
		for (d = 0; !ret && !fixed && !no_uffd && d < RH_DIR__COUNT;
		     d++) {
			ret = ring_part(&s, fd, (enum rh_dir)d);
			if (ret < 0) {
				for (d = 0; d < RH_DIR__COUNT; d++)
					rh_scenario_unreachable(&s,
						RH_ST_DRAIN_TIMEOUT, d,
						"userfaultfd of kernel faults "
						"needs root");
				no_uffd = true;
				ret = 0;
			}
		}
		if (!ret && !no_fuse) {
			ret = tree_part(&s);
			if (ret < 0) {
				rh_scenario_unreachable(&s, RH_ST_ABORT_TIMEOUT,
					RH_DIR_READ, "no FUSE here (root and "
					"/dev/fuse needed)");
				no_fuse = true;
				ret = 0;
			}
		}
		s.done++;
	}
	/* fd stays open: leaked rings' requests name it (kept on purpose) */
	ret |= rh_scenario_finish(&s);
	return ret ? 1 : 0;
}
