/* SPDX-License-Identifier: MIT */
/*
 * Description: a request held in the kernel past the drain limit (a
 * userfaultfd stall in io-wq, released only afterwards; with registered
 * buffers, which are pinned and never fault, a FUSE daemon that does not
 * answer holds it in io-wq instead).  A ring teardown
 * whose drain times out must free nothing the request references and
 * close nothing it names: the barrier never proves the ring gone, so the
 * ring, its records and buffers are leaked on purpose.  A tree copy's
 * abort whose drain times out must keep its jobs and their fds: here the
 * copy reads from a filesystem that holds the read of one file (FUSE,
 * harness/fusehold.h), and the abort must not close that file's fd.  Each
 * FUSE filesystem is mounted once per run and re-armed per iteration.  The harness' ledger, fd ledger
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

RH_FUSEHOLD_ASAN_DEFAULTS

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

/* The request's holder: a userfaultfd stall on its buffer, or (fh) the
 * FUSE file ffd whose daemon holds it. */
struct holder {
	struct rh_stall st;
	struct rh_fusehold *fh;
	int ffd;
};

/* Hold op (to *o) reading or writing in io-wq, by h: 0, 1 if the kernel
 * never took it into the hold, -errno if no stall can be set up. */
static int hold_op(struct rc_ring *r, struct rc_op *op, struct rh_outcome *o,
		   enum rh_dir dir, int fd, struct holder *h)
{
	int ret;

	if (!h->fh) {
		ret = stall_on(r, op, dir, fd, &h->st);
		if (ret)
			return ret;
		return hold(r, op, o, dir, fd, &h->st) ? 1 : 0;
	}
	rh_fusehold_rearm(h->fh);
	rh_scenario_watch(op, o);
	if (dir == RH_DIR_READ)
		rh_scenario_prep_read(op, h->ffd, 0, LEN, 0);
	else
		rc_op_prep_write(op, h->ffd, 0, LEN, 0);
	rc_op_set_flags(op, IOSQE_ASYNC);
	rc_op_submit(op);
	rc_ring_flush(r);
	return rh_fusehold_wait_held(h->fh, 5000) ? 0 : 1;
}

/* Let the held request finish. */
static void unhold(struct holder *h, char fill)
{
	if (h->fh)
		rh_fusehold_release(h->fh);
	else
		rh_stall_release(&h->st, fill);
}

/*
 * A ring torn down with a request held: -ETIMEDOUT, nothing freed or
 * closed, the ring leaked.  Returns 0, 1 if not as it must be, or -errno
 * (the stall could not be set up).
 */
static int ring_part(struct rh_scenario *s, int fd, enum rh_dir dir,
		     struct holder *h)
{
	struct rc_ring *r = rh_scenario_ring(s, 32);
	struct rc_op *op = rh_scenario_op(r, LEN);
	unsigned leaked = rc_rings_leaked();
	int named = h->fh ? h->ffd : fd;
	struct rh_outcome out;
	int ret;

	ret = hold_op(r, op, &out, dir, fd, h);
	if (ret < 0) {
		rc_op_put(op);
		rh_scenario_ring_done(s, r);
		return ret;
	}
	if (ret) {
		fprintf(stderr, "drain_timeout: the request was never held\n");
		unhold(h, 0);
		return 1;
	}
	rh_harness_add_ring(r);
	ret = rc_ring_destroy(r, DRAIN_MS);
	/* the kernel holds the request: leaked, its file still open */
	if (ret != -ETIMEDOUT || rc_rings_leaked() != leaked + 1 ||
	    fcntl(named, F_GETFD) < 0) {
		fprintf(stderr, "drain_timeout: teardown answered %d, %u ring(s) "
			"leaked, fd %s\n", ret, rc_rings_leaked() - leaked,
			fcntl(named, F_GETFD) < 0 ? "closed" : "open");
		unhold(h, 0);
		return 1;
	}
	unhold(h, 'x');	/* the kernel finishes, unreaped */
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

/* How many fds of this process are open on path. */
static unsigned fds_open_on(const char *path)
{
	char target[PATH_MAX];
	struct dirent *de;
	unsigned n_open = 0;
	DIR *d = opendir("/proc/self/fd");

	while (d && (de = readdir(d))) {
		ssize_t n = readlinkat(dirfd(d), de->d_name, target,
				       sizeof(target) - 1);

		if (n <= 0)
			continue;
		target[n] = '\0';
		n_open += !strcmp(target, path);
	}
	if (d)
		closedir(d);
	return n_open;
}

/* The tree part's source: a held filesystem mounted once per run. */
struct tree_src {
	char mnt[sizeof("/var/tmp/rc-drain-src-XXXXXX") + 1];	/* + "/" */
	char held[PATH_MAX];
	struct rh_fusehold *fh;
};

/*
 * A tree copy from a filesystem whose first file's read the test holds
 * (FUSE: the tree's own read waits for the daemon, and its cancel cannot
 * end it), aborted once it is held: the abort's drain times out, it answers
 * -ETIMEDOUT, and the file's fd, which the held read names, is still
 * open (one more fd on it than before); the ring's teardown then leaks
 * it.  The copy's destination is removed afterwards.  Returns 0, or 1 if
 * not as it must be.
 */
static int tree_part(struct rh_scenario *s, struct tree_src *src)
{
	char dst[] = "/var/tmp/rc-drain-dst-XXXXXX", cmd[64];
	struct abort_hold h = { .fh = src->fh };
	struct rc_tree_src one = { .path = src->mnt };	/* .base NULL: not --files-from */
	struct rc_tree_opts o = {
		.recursive = true, .files_in_flight = 4,
		/* read/write pinned: the held request is a read's */
		.copy = { .queue_depth = 2, .block_size = 16384,
			  .data_path = RC_DATA_READWRITE,
			  .drain_ms = DRAIN_MS, .chaos = abort_when_held,
			  .chaos_arg = &h },
	};
	struct rh_outcome out = { .res = 0 };
	struct rc_tree_stats tst;
	struct rc_ring *r;
	unsigned before = fds_open_on(src->held), after;
	int ret, bad = 0;

	if (!mkdtemp(dst))
		return 1;
	rh_fusehold_rearm(src->fh);
	r = rh_scenario_ring(s, 256);
	ret = rc_tree_copy(r, &one, 1, dst, &o, &tst);
	after = fds_open_on(src->held);
	if (!h.aborted || ret != -ETIMEDOUT || after != before + 1) {
		fprintf(stderr, "drain_timeout: the abort %s, answered %d, and "
			"the held read's file is %s\n", h.aborted ? "came" :
			"never came", ret, after == before + 1 ? "open" :
			"closed");
		bad = 1;
	} else {
		rh_scenario_hit(s, RH_ST_ABORT_TIMEOUT, RH_DIR_READ, &out);
	}
	rh_harness_add_ring(r);
	rc_ring_destroy(r, DRAIN_MS);	/* still held: leaked */
	rh_fusehold_release(src->fh);	/* the read is answered now */
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", dst);
	if (system(cmd))
		bad = 1;
	return bad;
}

/* Mount a held filesystem of nfiles (flags: RH_FUSEHOLD_*) at a new
 * directory mnt (a template): 0 or -errno. */
static int fuse_up(char *mnt, struct rh_fusehold **fh, unsigned nfiles,
		   size_t size, unsigned flags)
{
	int ret;

	if (!mkdtemp(mnt))
		return -errno;
	ret = rh_fusehold_mount(fh, mnt, nfiles, size, 0, flags);
	if (ret) {
		rmdir(mnt);
		*fh = NULL;
	}
	return ret;
}

static void fuse_down(const char *mnt, struct rh_fusehold *fh)
{
	if (!fh)
		return;
	rh_fusehold_unmount(fh);
	rmdir(mnt);
}

int main(int argc, char **argv)
{
	struct rh_scenario s;
	struct tree_src tsrc = { .mnt = "/var/tmp/rc-drain-src-XXXXXX" };
	char rmnt[] = "/var/tmp/rc-drain-io-XXXXXX", path[64];
	struct holder h = { .ffd = -1 };
	bool fixed, no_uffd = false;
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
	/* registered buffers are pinned: the kernel's copy never faults, so
	 * a FUSE daemon holds their requests instead of a userfaultfd stall */
	fixed = !strcmp(rh_harness_buffers(), "fixed");
	if (fixed && !fuse_up(rmnt, &h.fh, 1, 1 << 20, RH_FUSEHOLD_IO_WQ)) {
		snprintf(path, sizeof(path), "%s/f00", rmnt);
		h.ffd = open(path, O_RDWR | O_CLOEXEC);
	}
	if (fixed && h.ffd < 0) {
		for (d = 0; d < RH_DIR__COUNT; d++)
			rh_scenario_unreachable(&s, RH_ST_DRAIN_TIMEOUT, d,
				"registered buffers are pinned (no "
				"userfaultfd stall) and no FUSE here to hold "
				"the request (root and /dev/fuse needed)");
		no_uffd = true;
	}
	if (fuse_up(tsrc.mnt, &tsrc.fh, 8, 256 * 1024, 0)) {
		rh_scenario_unreachable(&s, RH_ST_ABORT_TIMEOUT, RH_DIR_READ,
					"no FUSE here (root and /dev/fuse "
					"needed)");
	} else {
		snprintf(tsrc.held, sizeof(tsrc.held), "%s/f00", tsrc.mnt);
		strcat(tsrc.mnt, "/");	/* its contents, into dst */
	}
	/* each iteration holds a read and a write past the drain, so one
	 * iteration (a quick run's share) covers both directions */
	while (!ret && rh_scenario_more(&s)) {
		for (d = 0; !ret && !no_uffd && d < RH_DIR__COUNT; d++) {
			ret = ring_part(&s, fd, (enum rh_dir)d, &h);
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
		if (!ret && tsrc.fh)
			ret = tree_part(&s, &tsrc);
		s.done++;
	}
	/* fd, h.ffd stay open: leaked rings' requests name them (kept on
	 * purpose); the filesystems go lazily, their daemons kept */
	if (tsrc.fh)
		tsrc.mnt[strlen(tsrc.mnt) - 1] = '\0';
	fuse_down(tsrc.mnt, tsrc.fh);
	fuse_down(rmnt, h.fh);
	ret |= rh_scenario_finish(&s);
	return ret ? 1 : 0;
}
