/* SPDX-License-Identifier: MIT */
/*
 * A regular file's job.  Up to files_in_flight regular files are in
 * flight on one ring (tree.c); each is a job stepping through
 *
 *   OPEN    openat(src) and statx(src) together
 *   CREATE  in a staging directory (stage.c: a new directory, renamed
 *           into place when all in it is done): openat(final name,
 *           O_CREAT | O_EXCL); elsewhere openat(dst dir, O_TMPFILE) (or a
 *           named temporary file)
 *   DATA    with --reflink=auto|always first a clone (FICLONE, a
 *           synchronous call made while no op of the job is in flight:
 *           rc_job_clone); else, or if it fails under auto, the pump:
 *           reads and writes, each op owning its buffer
 *   PLACE   after the metadata was set on the fd: nothing in a staging
 *           directory; else linkat(fd -> final name) (or renameat of the
 *           temporary name), one linked chain of them per directory at a
 *           time (see rc_job_place)
 *   CLOSE   close(src) and close(dst)
 *
 * and every step's ops go to the kernel in one io_uring_enter per turn of
 * the loop, whatever file they belong to.  A job never closes an fd while
 * an op of its own on it may still be in flight: a failed job waits for
 * its ops' CQEs; only the whole run's abort cancels, and then drains the
 * ring before closing anything.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "mutant.h"
#include "tree_int.h"

enum rc_job_tag {
	RC_JT_OPEN = 1,
	RC_JT_STATX,
	RC_JT_CREATE,
	RC_JT_FSYNC,
	RC_JT_PLACE,
	RC_JT_HLINK,
	RC_JT_CLOSE,
};

enum rc_job_step {
	RC_STEP_OPEN,
	RC_STEP_WAIT,		/* a hard-link group's first copy is in flight */
	RC_STEP_CREATE,
	RC_STEP_DATA,
	RC_STEP_FSYNC,
	RC_STEP_PLACE_WAIT,	/* queued behind its directory's PLACE chain */
	RC_STEP_PLACE,
	RC_STEP_CLOSE,
};

/* Files at least this big are preallocated (fallocate is a syscall). */
#define RC_TREE_FALLOC_MIN	(1024 * 1024)

struct rc_job {
	struct rc_tree *t;
	struct rc_dir *dir;
	char *name;		/* in the source directory */
	char *dst_name;		/* in the destination directory */
	int src_fd, dst_fd;
	unsigned pending;	/* our ops in flight */
	enum rc_job_step step;
	int err;		/* first error; the job only winds down */
	bool statx_ok;
	struct stat st;
	struct rc_pump pump;
	bool pump_live;
	bool sparse;
	uint64_t seg_end;	/* end of the data segment being pumped */
	uint64_t size;		/* the size the copy gets */
	char tmp[NAME_MAX + 1];	/* named temporary file, "" for O_TMPFILE */
	bool hl_first;		/* first name of a hard-link group */
	struct rc_dir *link_dir; /* -H: the group's directory, for our linkat */
	struct rc_job *place_next;	/* waiting to PLACE: dir's queue */
	bool place_by_proc;	/* its PLACE links /proc/self/fd/N */
	bool direct;		/* created under its final name (staged dir) */
	bool created;		/* ... and not complete: unlinked if it fails */
	bool inplace;		/* single-file mode: written into the existing
				 * file (cpdst.c) */
	bool match_old;		/* single-file mode: replaces a file, whose
				 * owner and mode (old) it gets */
	struct stat old;
	struct rc_job *prev, *next;	/* on t's list of jobs */
};

static struct rc_job *rc_jobs;	/* jobs in flight (one tree at a time) */
/* Jobs of runs whose abort could not drain the ring (rc_jobs_abandon). */
static struct rc_job *rc_jobs_abandoned;

/* ---- jobs ---- */

static void rc_job_step_done(struct rc_job *j);
static void rc_job_placed(struct rc_job *j);
static void rc_job_resume(struct rc_tree *t, struct rc_job *j, bool placed);

static int rc_job_submit(struct rc_job *j, struct rc_op *op,
			 enum rc_job_tag tag)
{
	op->user = j;
	op->user_tag = tag;
	j->pending++;
	return rc_op_submit(op);
}

/* The first error of a job: printed, counted; the job winds down. */
static void rc_job_fail(struct rc_job *j, int err, const char *what,
			bool dst_side)
{
	struct rc_tree *t = j->t;
	const char *path = dst_side ?
		rc_tree_path(j->dir->dst_path, j->dst_name) :
		rc_tree_path(j->dir->src_path, j->name);

	if (j->err)
		return;
	j->err = err ? err : -EIO;
	if (err == -ENOENT && !dst_side) {
		rc_tree_vanished(t, path);
		return;
	}
	rc_tree_err(t, err, "%s '%s'", what, path);
}

static int rc_job_close(struct rc_job *j, int *fdp)
{
	struct rc_op *op;
	int ret;

	if (*fdp < 0)
		return 0;
	ret = rc_op_get(j->t->r, &op);
	if (ret)
		return ret;
	ret = rc_op_prep_close(op, *fdp);
	if (ret) {
		rc_op_put(op);
		return ret;
	}
	*fdp = -1;		/* gone, or going: never used again */
	return rc_job_submit(j, op, RC_JT_CLOSE);
}

static void rc_job_free(struct rc_job *j)
{
	struct rc_tree *t = j->t;

	if (j->prev)
		j->prev->next = j->next;
	else
		rc_jobs = j->next;
	if (j->next)
		j->next->prev = j->prev;
	if (j->pump_live)
		rc_pump_end(&j->pump);
	rc_dir_put(t, j->dir);
	if (j->dst_name != j->name)
		free(j->dst_name);
	free(j->name);
	free(j);
	t->active--;
}

/* Nothing of ours in flight any more: close what is open, then go. */
static void rc_job_finish(struct rc_job *j)
{
	struct rc_tree *t = j->t;

	if (j->hl_first && j->err)
		rc_hlink_failed(t, j->st.st_dev, j->st.st_ino, rc_job_resume);
	j->hl_first = false;
	if (j->tmp[0] && j->dst_fd >= 0 && j->err)
		unlinkat(j->dir->dst_fd, j->tmp, 0);
	if (j->created)		/* never complete: not renamed into view */
		unlinkat(j->dir->dst_fd, j->dst_name, 0);
	j->created = false;
	if (j->src_fd >= 0 || j->dst_fd >= 0) {
		j->step = RC_STEP_CLOSE;
		if (!rc_job_close(j, &j->src_fd) &&
		    !rc_job_close(j, &j->dst_fd)) {
#ifdef RC_MUTANT_JOB_FREE_EARLY
			/* MUTANT: "the closes are sent: the job is done" */
			rc_job_free(j);
#endif
			return;
		}
		/* no record for a close: close here, nothing is in flight */
		if (j->src_fd >= 0)
			close(j->src_fd);
		if (j->dst_fd >= 0)
			close(j->dst_fd);
		j->src_fd = j->dst_fd = -1;
	}
	if (!j->pending)
		rc_job_free(j);
}

static int rc_job_op(struct rc_job *j, struct rc_op **opp)
{
	int ret = rc_op_get(j->t->r, opp);

	if (ret)
		rc_job_fail(j, ret, "cannot copy", false);
	return ret;
}

/*
 * An op's prep answered ret: 0 and nothing done, or the op given back
 * and the job failed with ret (-ENOMEM: a path copy).  Returns ret.
 */
static int rc_job_prepped(struct rc_job *j, struct rc_op *op, int ret,
			  const char *what, bool dst_side)
{
	if (ret) {
		rc_op_put(op);
		rc_job_fail(j, ret, what, dst_side);
	}
	return ret;
}

/* OPEN: openat and statx of the source, side by side. */
static void rc_job_open(struct rc_job *j)
{
	struct rc_tree *t = j->t;
	struct rc_op *op, *sx;
	void *buf;

	j->step = RC_STEP_OPEN;
	if (rc_job_op(j, &op))
		return rc_job_finish(j);
	/* O_NONBLOCK: a FIFO swapped in is never waited on; a symlink is
	 * followed only as a single-file mode operand, as cp does */
	if (rc_job_prepped(j, op, rc_op_prep_openat(op, j->dir->src_fd,
			   j->name, O_RDONLY | O_NONBLOCK | O_CLOEXEC |
			   O_NOCTTY | (t->o->cp ? 0 : O_NOFOLLOW), 0),
			   "cannot open", false))
		return rc_job_finish(j);
	rc_job_submit(j, op, RC_JT_OPEN);
	/* the open is in flight: a failure here waits for it (step_done) */
	if (rc_job_op(j, &sx))
		return;
	if (rc_buf_get(t->r, sizeof(struct statx), &buf)) {
		rc_op_put(sx);
		rc_job_fail(j, -ENOMEM, "cannot copy", false);
		return;
	}
	rc_op_set_buf(sx, buf, sizeof(struct statx));	/* holds none: 0 */
	if (rc_job_prepped(j, sx, rc_op_prep_statx(sx, j->dir->src_fd, j->name,
			   t->o->cp ? 0 : AT_SYMLINK_NOFOLLOW,
			   STATX_BASIC_STATS), "cannot stat", false))
		return;
	rc_job_submit(j, sx, RC_JT_STATX);
}

static void rc_statx_to_stat(const struct statx *sx, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = makedev(sx->stx_dev_major, sx->stx_dev_minor);
	st->st_ino = sx->stx_ino;
	st->st_mode = sx->stx_mode;
	st->st_nlink = sx->stx_nlink;
	st->st_uid = sx->stx_uid;
	st->st_gid = sx->stx_gid;
	st->st_rdev = makedev(sx->stx_rdev_major, sx->stx_rdev_minor);
	st->st_size = (off_t)sx->stx_size;
	st->st_blocks = (blkcnt_t)sx->stx_blocks;
	st->st_atim.tv_sec = sx->stx_atime.tv_sec;
	st->st_atim.tv_nsec = sx->stx_atime.tv_nsec;
	st->st_mtim.tv_sec = sx->stx_mtime.tv_sec;
	st->st_mtim.tv_nsec = sx->stx_mtime.tv_nsec;
}

/* CREATE: the unnamed (or temporarily named) destination file. */
static void rc_job_create(struct rc_job *j)
{
	struct rc_tree *t = j->t;
	/* no set-ID bits yet: a write by a process without CAP_FSETID would
	 * clear them; rc_meta_apply_fd() sets the final mode */
	mode_t mode = rc_meta_mode(t, j->st.st_mode) & 0777;
	struct rc_op *op;
	int ret;

	j->step = RC_STEP_CREATE;
	if (rc_job_op(j, &op))
		return rc_job_finish(j);
	if (j->inplace) {
		/* cp's way: into the existing file (through a symlink) */
		ret = rc_op_prep_openat(op, j->dir->dst_fd, j->dst_name,
					O_WRONLY | O_TRUNC | O_CLOEXEC |
					O_NOCTTY, 0);
	} else if (j->direct) {
		/* no one sees a staging dir: its files need no temporary */
		j->tmp[0] = '\0';
		ret = rc_op_prep_openat(op, j->dir->dst_fd, j->dst_name,
					O_WRONLY | O_CREAT | O_EXCL |
					O_CLOEXEC, mode);
	} else if (!t->no_tmpfile) {
		j->tmp[0] = '\0';
		ret = rc_op_prep_openat(op, j->dir->dst_fd, ".", O_TMPFILE |
					O_WRONLY | O_CLOEXEC, mode);
	} else {
		ret = rc_temp_name(j->dst_name, j->tmp, sizeof(j->tmp));
		if (!ret)
			ret = rc_op_prep_openat(op, j->dir->dst_fd, j->tmp,
						O_WRONLY | O_CREAT | O_EXCL |
						O_CLOEXEC, mode);
	}
	if (rc_job_prepped(j, op, ret, "cannot create", true)) {
		j->tmp[0] = '\0';	/* never created */
		return rc_job_finish(j);
	}
	rc_job_submit(j, op, RC_JT_CREATE);
}

/* Start pumping the next data segment; false when there is none. */
static bool rc_job_next_segment(struct rc_job *j, uint64_t from)
{
	struct rc_tree *t = j->t;
	uint64_t start = from, end = j->size;
	/* single-file mode reads on to the real EOF, as cp (a /proc file
	 * says size 0) */
	bool exact = j->sparse || !t->o->cp;
	int ret;

	if (from >= j->size && (exact || from))
		return false;
	if (j->sparse) {
		off_t d = lseek(j->src_fd, (off_t)from, SEEK_DATA), h;

		if (d < 0)
			return false;	/* ENXIO: only a hole is left */
		h = lseek(j->src_fd, d, SEEK_HOLE);
		start = (uint64_t)d;
		end = h < 0 ? j->size : (uint64_t)h;
		if (end > j->size)
			end = j->size;
		if (start >= end)
			return false;
	}
	j->seg_end = end;
	if (j->pump_live)
		rc_pump_end(&j->pump);
	j->pump_live = true;
	ret = rc_pump_start(&j->pump, t->r, j->src_fd, j->dst_fd, start, end,
			    exact, &t->copy);
	j->pump.owner = j;
	if (ret && rc_pump_done(&j->pump)) {
		rc_job_fail(j, ret, "cannot copy", false);
		return false;
	}
	return true;
}

/*
 * DATA by clone (reflink.c), before any data op of the job: CREATE is
 * over, so nothing of the job is in flight (pending is 0, no pump), and no
 * other job's request names its two fds.  That is the barrier: a write of
 * the pump racing the clone could leave either's bytes, and a clone that
 * made the pump's reads moot must still wait for their CQEs before the
 * source is closed.  Returns 1 when the data was cloned (j->size is the
 * clone's: the source's size now), 0 to copy with the pump, or -errno
 * when --reflink=always could not clone (the job failed).
 */
static int rc_job_clone(struct rc_job *j)
{
	struct rc_tree *t = j->t;
	struct stat st;
	int ret;

	if (j->pending || j->pump_live)
		return 0;	/* never under a request of ours */
	if (!j->size && rc_copy_reflink(&t->o->copy) != RC_REFLINK_ALWAYS &&
	    !t->o->cp)
		return 0;	/* nothing to share (cp mode: /proc's size 0) */
	/* cp's in-place destination may be anywhere (a symlink): the
	 * directory's filesystem says nothing of it */
	ret = rc_tree_clone(t, j->dir, j->st.st_dev, j->src_fd, j->dst_fd,
			    !j->inplace);
	if (ret > 0)
		return 0;
	if (ret < 0) {
		rc_job_fail(j, ret, "cannot clone (--reflink=always) into",
			    true);
		return ret;
	}
	if (fstat(j->dst_fd, &st) < 0) {
		ret = -errno;
		rc_job_fail(j, ret, "cannot stat", true);
		return ret;
	}
	j->size = (uint64_t)st.st_size;
	return 1;
}

#ifdef RC_MUTANT_CLONE_UNDER_PUMP
/*
 * MUTANT: "the clone may run while the pump's first reads are out; it
 * makes them moot, so the source is closed at once": the pump's reads
 * are sent, then the clone, then close(2) of the source they name.  The
 * source is opened again onto the same number right after (the pump's
 * next reads would otherwise read whatever took the number, and a pipe
 * could hang the run): the broken rule is the close itself.  Returns
 * true if the mutant took the job over.
 */
static bool rc_job_clone_under_pump(struct rc_job *j)
{
	int again;

	if (rc_copy_reflink(&j->t->o->copy) == RC_REFLINK_NEVER ||
	    !rc_job_next_segment(j, 0))
		return false;
	rc_ring_flush(j->t->r);
	if (rc_tree_clone(j->t, j->dir, j->st.st_dev, j->src_fd, j->dst_fd,
			  !j->inplace) == 0) {
		again = openat(j->dir->src_fd, j->name, O_RDONLY | O_CLOEXEC);
		close(j->src_fd);
		if (again >= 0 && dup3(again, j->src_fd, O_CLOEXEC) >= 0)
			close(again);
	}
	return true;
}
#endif

/*
 * Single-file mode, a file replaced: the copy gets the old file's owner,
 * group and mode (a private file stays private), as cp keeps them.
 */
static int rc_job_match_old(struct rc_job *j, const struct stat *cur,
			    const char **what)
{
	const struct stat *o = &j->old;

	if ((o->st_uid != cur->st_uid || o->st_gid != cur->st_gid) &&
	    fchown(j->dst_fd, o->st_uid, o->st_gid) < 0) {
		*what = "set owner of";
		return -errno;
	}
	if (fchmod(j->dst_fd, o->st_mode & 07777) < 0) {
		*what = "set permissions of";
		return -errno;
	}
	return 0;
}

/* DATA is over: truncate where needed, metadata, fsync, then place. */
static void rc_job_data_done(struct rc_job *j)
{
	struct rc_tree *t = j->t;
	struct stat cur = { 0 };
	const char *what;
	struct rc_op *op;
	int ret;

	if ((j->sparse || j->size >= RC_TREE_FALLOC_MIN ||
	     (j->inplace && S_ISREG(j->old.st_mode)))) {
		/* holes at the end, or a file that shrank under fallocate */
		if (ftruncate(j->dst_fd, (off_t)j->size) < 0) {
			rc_job_fail(j, -errno, "error writing", true);
			return rc_job_finish(j);
		}
	}
	cur.st_mode = rc_meta_mode(t, j->st.st_mode) & 0777;	/* as created */
	cur.st_uid = t->euid;
	cur.st_gid = j->dir->new_gid;
	if (j->inplace)		/* cp keeps what the file had */
		ret = 0;
	else if (j->match_old)
		ret = rc_job_match_old(j, &cur, &what);
	else
		ret = rc_meta_apply_fd(t, j->src_fd, j->dst_fd, &j->st, &cur,
				       true, &what);
	if (ret) {
		rc_job_fail(j, ret, what, true);
		return rc_job_finish(j);
	}
	/* the source is done with */
	ret = rc_job_close(j, &j->src_fd);
	if (ret) {
		rc_job_fail(j, ret, "cannot copy", false);
		return rc_job_finish(j);
	}
	if (t->o->copy.fsync) {
		j->step = RC_STEP_FSYNC;
		if (rc_job_op(j, &op))
			return rc_job_finish(j);
		if (rc_job_prepped(j, op, rc_op_prep_fsync(op, j->dst_fd, 0),
				   "cannot sync", true))
			return rc_job_finish(j);
		rc_job_submit(j, op, RC_JT_FSYNC);
		return;
	}
	j->step = RC_STEP_FSYNC;
	rc_job_step_done(j);
}

/*
 * j's PLACE op, prepared (not submitted): renameat of the temporary name,
 * or linkat of the O_TMPFILE fd, the form recorded in j->place_by_proc.
 * NULL when no op record is left (the job is failed and finished).
 */
static struct rc_op *rc_job_place_prep(struct rc_job *j)
{
	struct rc_tree *t = j->t;
	char proc[64];
	struct rc_op *op;
	int ret;

	j->step = RC_STEP_PLACE;
	if (rc_job_op(j, &op)) {
		rc_job_finish(j);
		return NULL;
	}
	j->place_by_proc = t->link_by_proc;
	if (j->tmp[0])
		ret = rc_op_prep_renameat(op, j->dir->dst_fd, j->tmp,
					  j->dir->dst_fd, j->dst_name, 0);
	else if (j->place_by_proc) {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", j->dst_fd);
		ret = rc_op_prep_linkat(op, AT_FDCWD, proc, j->dir->dst_fd,
					j->dst_name, AT_SYMLINK_FOLLOW);
	} else
		ret = rc_op_prep_linkat(op, j->dst_fd, "", j->dir->dst_fd,
					j->dst_name, AT_EMPTY_PATH);
	if (rc_job_prepped(j, op, ret, "cannot create", true)) {
		rc_job_finish(j);
		return NULL;
	}
	return op;
}

static void rc_job_place_submit(struct rc_job *j, struct rc_op *op)
{
	j->dir->places++;
	rc_job_submit(j, op, RC_JT_PLACE);
}

/* Most PLACE ops linked into one chain (the ring has at least 32 SQEs). */
#define RC_PLACE_CHAIN_MAX	32

/*
 * PLACE: give the complete file its final name.  Names are added to a
 * directory one at a time (the kernel holds its lock for each), so PLACE
 * ops racing each other in io-wq workers only spin on that lock.  A
 * directory therefore has at most one chain of PLACE ops in flight: the
 * jobs that come meanwhile wait on it, and go as the next chain (hard
 * links: one failing does not cancel the rest), which one worker runs
 * back to back.
 */
static void rc_job_place(struct rc_job *j)
{
	struct rc_dir *d = j->dir;
	struct rc_op *op;

	if (j->direct || j->inplace) {
		/* at its final name already */
		j->step = RC_STEP_PLACE;
		j->created = false;
		rc_job_placed(j);
		return rc_job_step_done(j);
	}
	if (d->places) {
		j->step = RC_STEP_PLACE_WAIT;
		j->place_next = NULL;
		if (d->place_tail)
			d->place_tail->place_next = j;
		else
			d->place_head = j;
		d->place_tail = j;
		return;
	}
	op = rc_job_place_prep(j);
	if (op)
		rc_job_place_submit(j, op);
}

/*
 * d's chain is back: send the jobs waiting on it as the next one.  An op
 * is linked to the next only once that one exists, and a job that gets no
 * op record does not count, so a non-empty queue always leaves with a
 * chain in flight.
 */
static void rc_dir_place_flush(struct rc_dir *d)
{
	struct rc_job *prev = NULL;
	struct rc_op *prev_op = NULL;
	unsigned n = 0;

	while (d->place_head && n < RC_PLACE_CHAIN_MAX) {
		struct rc_job *j = d->place_head;
		struct rc_op *op;

		d->place_head = j->place_next;
		if (!d->place_head)
			d->place_tail = NULL;
		j->place_next = NULL;
		op = rc_job_place_prep(j);
		if (!op)
			continue;
		if (prev_op) {
			rc_op_set_flags(prev_op, IOSQE_IO_HARDLINK);
			rc_job_place_submit(prev, prev_op);
		}
		prev = j;
		prev_op = op;
		n++;
	}
	if (prev_op)
		rc_job_place_submit(prev, prev_op);
}

/*
 * The final name exists already (a rerun, an older copy): link the file
 * under a temporary name and rename that over it, which is atomic.
 */
static int rc_job_replace(struct rc_job *j)
{
	struct rc_tree *t = j->t;
	char proc[64];
	int tries, ret = -EEXIST;

	for (tries = 0; tries < 100 && ret == -EEXIST; tries++) {
		ret = rc_temp_name(j->dst_name, j->tmp, sizeof(j->tmp));
		if (ret)
			break;
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", j->dst_fd);
		ret = t->link_by_proc ?
			linkat(AT_FDCWD, proc, j->dir->dst_fd, j->tmp,
			       AT_SYMLINK_FOLLOW) :
			linkat(j->dst_fd, "", j->dir->dst_fd, j->tmp,
			       AT_EMPTY_PATH);
		ret = ret < 0 ? -errno : 0;
	}
	if (ret) {
		j->tmp[0] = '\0';
		return ret;
	}
	if (renameat(j->dir->dst_fd, j->tmp, j->dir->dst_fd, j->dst_name) < 0) {
		ret = -errno;
		unlinkat(j->dir->dst_fd, j->tmp, 0);
		j->tmp[0] = '\0';
		return ret;
	}
	j->tmp[0] = '\0';
	return 0;
}

/* The file is at its final name. */
static void rc_job_placed(struct rc_job *j)
{
	struct rc_tree *t = j->t;

	t->st->files++;
	t->st->bytes += j->size;
	j->tmp[0] = '\0';
	if (t->o->cp)	/* (a tree's -v line went when the walk met it) */
		rc_tree_verbose_cp(t, j->dir, j->name, j->dst_name);
	if (j->hl_first) {
		j->hl_first = false;
		rc_hlink_placed(t, j->st.st_dev, j->st.st_ino, j->dir,
				j->dst_name, rc_job_resume);
	}
}

/* A later name of a hard-link group: link it to the first copy. */
static void rc_job_hlink(struct rc_job *j, struct rc_dir *d, const char *name)
{
	struct rc_op *op;
	int ret;

	j->step = RC_STEP_PLACE;
	ret = j->src_fd >= 0 ? rc_job_close(j, &j->src_fd) : 0;
	if (ret) {
		rc_dir_put(j->t, d);
		rc_job_fail(j, ret, "cannot copy", false);
		return rc_job_finish(j);
	}
	if (rc_job_op(j, &op)) {
		rc_dir_put(j->t, d);
		return rc_job_finish(j);
	}
	if (rc_job_prepped(j, op, rc_op_prep_linkat(op, d->dst_fd, name,
			   j->dir->dst_fd, j->dst_name, 0), "cannot link",
			   true)) {
		rc_dir_put(j->t, d);
		return rc_job_finish(j);
	}
	/* d's fd is named by the SQE: keep d until the CQE */
	j->link_dir = d;
	rc_job_submit(j, op, RC_JT_HLINK);
}

/* After OPEN: a regular file to copy, a hard link to make, or a change. */
static void rc_job_opened(struct rc_job *j)
{
	struct rc_tree *t = j->t;
	struct rc_dir *d;
	const char *name;

	if (j->err)
		return rc_job_finish(j);
	if (!S_ISREG(j->st.st_mode)) {
		/* it changed type since it was listed */
		rc_job_fail(j, 0, "cannot copy (it changed type during the "
			    "copy)", false);
		return rc_job_finish(j);
	}
	if (t->o->hard_links && j->st.st_nlink > 1) {
		switch (rc_hlink_lookup(t, j->st.st_dev, j->st.st_ino,
					(unsigned)j->st.st_nlink, j, &d,
					&name)) {
		case RC_HLINK_NEW:
			j->hl_first = true;
			break;
		case RC_HLINK_WAIT:
			j->step = RC_STEP_WAIT;
			return;
		case RC_HLINK_DONE:
			return rc_job_hlink(j, d, name);
		}
	}
	j->size = (uint64_t)j->st.st_size;
	j->sparse = j->st.st_blocks * 512 < j->st.st_size;
	j->direct = j->dir->staged && !j->inplace;
	rc_job_create(j);
}

static void rc_job_resume(struct rc_tree *t, struct rc_job *j, bool placed)
{
	(void)placed;
	if (j->step != RC_STEP_WAIT)
		return;
	rc_job_opened(j);
}

/*
 * All ops of the current step are back: take the next step (or, failed
 * or stopping, wind down).
 */
static void rc_job_step_done(struct rc_job *j)
{
	struct rc_tree *t = j->t;

	if (j->step == RC_STEP_PLACE_WAIT)
		return;		/* its directory's chain sends it on */
	if ((j->err || t->stopping) && j->step != RC_STEP_CLOSE)
		return rc_job_finish(j);
	switch (j->step) {
	case RC_STEP_OPEN:
		return rc_job_opened(j);
	case RC_STEP_CREATE:
#ifdef RC_MUTANT_CLONE_UNDER_PUMP
		j->step = RC_STEP_DATA;
		if (rc_job_clone_under_pump(j))
			return;
#endif
		switch (rc_job_clone(j)) {
		case 0:
			break;
		case 1:
			j->step = RC_STEP_DATA;
			return rc_job_data_done(j);
		default:
			return rc_job_finish(j);
		}
		if (j->size >= RC_TREE_FALLOC_MIN && !j->sparse &&
		    !t->o->copy.no_fallocate &&
		    (!j->inplace || S_ISREG(j->old.st_mode)) &&
		    fallocate(j->dst_fd, 0, 0, (off_t)j->size) < 0 &&
		    errno != EOPNOTSUPP && errno != ENOSYS && errno != EINVAL) {
			/* the space for it: not a write yet */
			rc_job_fail(j, -errno, "cannot write", true);
			return rc_job_finish(j);
		}
		j->step = RC_STEP_DATA;
		if (!rc_job_next_segment(j, 0)) {
			if (j->err)
				return rc_job_finish(j);
			return rc_job_data_done(j);
		}
		return;
	case RC_STEP_DATA:
		return rc_job_data_done(j);
	case RC_STEP_FSYNC:
		return rc_job_place(j);
	case RC_STEP_PLACE:
		/* the final name is taken: the job goes on to close */
		return rc_job_finish(j);
	case RC_STEP_CLOSE:
		if (!j->pending)
			rc_job_free(j);
		return;
	case RC_STEP_WAIT:
	case RC_STEP_PLACE_WAIT:
		return;
	}
}

/* One of our pump's ops came back. */
static void rc_job_pump_op(struct rc_job *j, struct rc_op *op)
{
	struct rc_pump *p = &j->pump;
	uint64_t eof;

	rc_pump_complete(p, op);
	if (!rc_pump_done(p))
		return;
	if (p->err) {
		/* neither side: the copy could not go on (no pipe: EMFILE) */
		rc_job_fail(j, p->err, p->side == RC_SIDE_DST ?
			    "error writing" : p->side == RC_SIDE_SRC ?
			    "error reading" : "cannot copy",
			    p->side == RC_SIDE_DST);
		return rc_job_finish(j);
	}
	eof = rc_pump_eof(p);
	if (!p->exact_end && eof != UINT64_MAX) {
		j->size = eof;		/* read to the end, whatever it is */
		return rc_job_step_done(j);
	}
	if (eof < j->seg_end) {
		j->size = eof;		/* it shrank while copied */
		return rc_job_step_done(j);
	}
	if (j->sparse && rc_job_next_segment(j, j->seg_end))
		return;
	if (j->err)
		return rc_job_finish(j);
	rc_job_step_done(j);
}

/*
 * CREATE's answer.  Returns true if the job went on at once with another
 * CREATE (op given back), false to go on as usual.
 */
static bool rc_job_created(struct rc_job *j, struct rc_op *op, int res)
{
	struct rc_tree *t = j->t;

	if (res >= 0) {
		j->dst_fd = res;
		j->created = j->direct;
		return false;
	}
	if (j->inplace) {
		rc_job_fail(j, res, "cannot create", true);
		return false;
	}
	if (j->direct && res == -EEXIST) {
		/* another operand's file: replace it as usual, unless
		 * stopping (then it is simply not ours) */
		j->direct = false;
		if (t->stopping)
			return false;
		goto again;
	}
	if (j->direct) {
		/* says nothing of O_TMPFILE support */
		rc_job_fail(j, res, "cannot create", true);
		return false;
	}
	/* an O_TMPFILE create (no name): also one sent before another job
	 * found the filesystem has none */
	if (!j->tmp[0] && (res == -EOPNOTSUPP || res == -EISDIR ||
			   res == -EINVAL)) {
		t->no_tmpfile = true;	/* retry with a name */
		goto again;
	}
	if (t->no_tmpfile && res == -EEXIST)
		goto again;
	j->tmp[0] = '\0';
	rc_job_fail(j, res, "cannot create", true);
	return false;
again:
	rc_op_put(op);
	rc_job_create(j);
	return true;
}

/* PLACE's answer.  Returns true if the job placed again (op given back). */
static bool rc_job_place_done(struct rc_job *j, struct rc_op *op, int res)
{
	struct rc_tree *t = j->t;
	/* linking an fd needs CAP_DAC_READ_SEARCH (before Linux 6.10): from
	 * here link through /proc, before the next chain goes, and retry
	 * every fd link that came back -ENOENT */
	bool by_proc = res == -ENOENT && !j->tmp[0] && !j->place_by_proc;

	if (by_proc)
		t->link_by_proc = true;
	if (!--j->dir->places)
		rc_dir_place_flush(j->dir);
	if (by_proc) {
		rc_op_put(op);
		rc_job_place(j);
		return true;
	}
	if (res == -EEXIST && !j->tmp[0])
		res = rc_job_replace(j);
	if (res < 0)
		rc_job_fail(j, res, "cannot create", true);
	else
		rc_job_placed(j);
	return false;
}

/* HLINK's answer: the link to the group's copy (path in its directory). */
static void rc_job_hlinked(struct rc_job *j, const char *path, int res)
{
	struct rc_tree *t = j->t;
	struct rc_dir *d = j->link_dir;
	int ret;

	j->link_dir = NULL;
	if (res == -EEXIST) {
		/* replace: link under a temporary name, rename */
		ret = rc_temp_name(j->dst_name, j->tmp, sizeof(j->tmp));
		res = ret ? ret : linkat(d->dst_fd, path, j->dir->dst_fd,
					 j->tmp, 0);
		if (!res && renameat(j->dir->dst_fd, j->tmp, j->dir->dst_fd,
				     j->dst_name) < 0) {
			res = -errno;
			unlinkat(j->dir->dst_fd, j->tmp, 0);
		} else if (res < 0 && !ret)
			res = -errno;
		j->tmp[0] = '\0';
	}
	rc_dir_put(t, d);
	if (res < 0)
		rc_job_fail(j, res, "cannot link", true);
	else {
		t->st->hard_links++;
	}
	j->step = RC_STEP_PLACE;
}

/* One of the job's own ops came back. */
static void rc_job_op_done(struct rc_job *j, struct rc_op *op)
{
	int res = op->res;

	j->pending--;
	switch ((enum rc_job_tag)op->user_tag) {
	case RC_JT_OPEN:
		if (res >= 0)
			j->src_fd = res;
		else
			rc_job_fail(j, res, "cannot open", false);
		break;
	case RC_JT_STATX:
		if (res == 0) {
			rc_statx_to_stat(op->buf, &j->st);
			j->statx_ok = true;
		} else
			rc_job_fail(j, res, "cannot stat", false);
		break;
	case RC_JT_CREATE:
		if (rc_job_created(j, op, res))
			return;
		break;
	case RC_JT_FSYNC:
		if (res < 0)
			rc_job_fail(j, res, "cannot sync", true);
		break;
	case RC_JT_PLACE:
		if (rc_job_place_done(j, op, res))
			return;
		break;
	case RC_JT_HLINK:
		rc_job_hlinked(j, op->path, res);
		break;
	case RC_JT_CLOSE:
		/* cancelled before it ran: the fd is still open, and only
		 * ours (no one could have been given its number) */
		if (res == -ECANCELED)
			close(op->fd);
		break;
	}
	rc_op_put(op);
	if (!j->pending)
		rc_job_step_done(j);
}

void rc_job_start(struct rc_tree *t, struct rc_dir *d, const char *name,
		  const char *dst_name, const struct rc_cp_dst *cd)
{
	struct rc_job *j = calloc(1, sizeof(*j));

	if (j) {
		j->name = strdup(name);
		j->dst_name = dst_name == name ? j->name : strdup(dst_name);
	}
	if (!j || !j->name || !j->dst_name) {
		rc_tree_err(t, -ENOMEM, "cannot copy '%s'",
			    rc_tree_path(d->src_path, name));
		if (j) {
			free(j->name);
			free(j);
		}
		rc_dir_put(t, d);
		return;
	}
	j->t = t;
	j->dir = d;		/* the walker's reference passes to the job */
	if (cd && cd->exists) {
		j->old = cd->st;
		j->inplace = cd->inplace;
		j->match_old = !cd->inplace;
	}
	j->src_fd = j->dst_fd = -1;
	j->next = rc_jobs;
	if (rc_jobs)
		rc_jobs->prev = j;
	rc_jobs = j;
	t->active++;
	rc_job_open(j);
}

void rc_job_reap(struct rc_op *op)
{
	struct rc_pump *p = rc_pump_of(op);

	if (p)
		rc_job_pump_op(p->owner, op);
	else
		rc_job_op_done(op->user, op);
}

void rc_jobs_forget(struct rc_tree *t)
{
	struct rc_job *j;

	while ((j = rc_jobs)) {
		if (!t->o->quiet)
			fprintf(stderr, "ringcp: interrupted copying '%s'\n",
				rc_tree_path(j->dir->src_path, j->name));
		j->dir->place_head = j->dir->place_tail = NULL;
		j->dir->places = 0;
		j->pending = 0;
		if (j->pump_live)
			rc_pump_forget(&j->pump);
		j->pump_live = false;
		if (j->tmp[0])
			unlinkat(j->dir->dst_fd, j->tmp, 0);
		/* only a name its own create made: every staged create has
		 * answered (rc_jobs_creating); one that found the name
		 * taken (-EEXIST) or never ran is another's */
		if (j->created)
			unlinkat(j->dir->dst_fd, j->dst_name, 0);
		if (j->src_fd >= 0)
			close(j->src_fd);
		if (j->dst_fd >= 0)
			close(j->dst_fd);
		if (j->link_dir)
			rc_dir_put(t, j->link_dir);
		rc_job_free(j);
	}
}

bool rc_jobs_creating(void)
{
	struct rc_job *j;

	for (j = rc_jobs; j; j = j->next)
		if (j->direct && j->step == RC_STEP_CREATE && j->pending)
			return true;
	return false;
}

void rc_jobs_abandon(void)
{
	struct rc_job *j;

	while ((j = rc_jobs)) {
		rc_jobs = j->next;
		j->t = NULL;		/* its run's frame is about to go */
		j->prev = NULL;
		j->next = rc_jobs_abandoned;
		rc_jobs_abandoned = j;
	}
}

#ifdef RC_MUTANT_FD_CLOSE_EARLY
void rc_jobs_close_fds(void)
{
	struct rc_job *j;

	for (j = rc_jobs; j; j = j->next) {
		if (j->src_fd >= 0)
			close(j->src_fd);
		if (j->dst_fd >= 0)
			close(j->dst_fd);
		j->src_fd = j->dst_fd = -1;
	}
}
#endif
