/* SPDX-License-Identifier: MIT */
/*
 * The tree copy's scheduler and its file jobs.  Up to files_in_flight
 * regular files are in flight on one ring; each is a job stepping through
 *
 *   OPEN    openat(src) and statx(src) together
 *   CREATE  in a staging directory (rc_walk.c: a new directory, renamed
 *           into place when all in it is done): openat(final name,
 *           O_CREAT | O_EXCL); elsewhere openat(dst dir, O_TMPFILE) (or a
 *           named temporary file)
 *   DATA    the pump: reads and writes, each op owning its buffer
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
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "rc_tree_int.h"

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
	struct rc_job *prev, *next;	/* on t's list of jobs */
};

static struct rc_job *rc_jobs;	/* jobs in flight (one tree at a time) */

/* ---- messages ---- */

const char *rc_tree_path(const char *dir, const char *name)
{
	static char buf[2][PATH_MAX + 256];
	static int which;
	size_t dl = strlen(dir);
	char *b = buf[which ^= 1];

	snprintf(b, sizeof(buf[0]), "%s%s%s", dir,
		 dl && dir[dl - 1] != '/' ? "/" : "", name);
	return b;
}

void rc_tree_err(struct rc_tree *t, int err, const char *fmt, ...)
{
	va_list ap;

	fputs("ringcp: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (err)
		fprintf(stderr, ": %s", strerror(-err));
	fputc('\n', stderr);
	t->st->errors++;
}

void rc_tree_vanished(struct rc_tree *t, const char *path)
{
	fprintf(stderr, "ringcp: file has vanished '%s': %s\n", path,
		strerror(ENOENT));
	t->st->vanished++;
}

void rc_tree_verbose(struct rc_tree *t, const struct rc_dir *d,
		     const char *name, const char *suffix)
{
	if (!t->o->verbose || t->o->quiet)
		return;
	if (d->rel[0])
		printf("%s/%s%s\n", d->rel, name, suffix);
	else
		printf("%s%s\n", name, suffix);
}

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
	rc_op_prep_close(op, *fdp);
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
		    !rc_job_close(j, &j->dst_fd))
			return;
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

/* OPEN: openat and statx of the source, side by side. */
static void rc_job_open(struct rc_job *j)
{
	struct rc_tree *t = j->t;
	struct rc_op *op, *sx;
	void *buf;

	j->step = RC_STEP_OPEN;
	if (rc_job_op(j, &op))
		return rc_job_finish(j);
	/* O_NONBLOCK: a FIFO swapped in is never waited on */
	rc_op_prep_openat(op, j->dir->src_fd, j->name, O_RDONLY | O_NOFOLLOW |
			  O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0);
	rc_job_submit(j, op, RC_JT_OPEN);
	if (rc_job_op(j, &sx))
		return;
	if (rc_buf_get(t->r, sizeof(struct statx), &buf)) {
		rc_op_put(sx);
		rc_job_fail(j, -ENOMEM, "cannot copy", false);
		return;
	}
	rc_op_set_buf(sx, buf, sizeof(struct statx));
	rc_op_prep_statx(sx, j->dir->src_fd, j->name, AT_SYMLINK_NOFOLLOW,
			 STATX_BASIC_STATS);
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
	if (j->direct) {
		/* no one sees a staging dir: its files need no temporary */
		j->tmp[0] = '\0';
		rc_op_prep_openat(op, j->dir->dst_fd, j->dst_name, O_WRONLY |
				  O_CREAT | O_EXCL | O_CLOEXEC, mode);
	} else if (!t->no_tmpfile) {
		j->tmp[0] = '\0';
		rc_op_prep_openat(op, j->dir->dst_fd, ".", O_TMPFILE |
				  O_WRONLY | O_CLOEXEC, mode);
	} else {
		ret = rc_temp_name(j->dst_name, j->tmp, sizeof(j->tmp));
		if (ret) {
			rc_op_put(op);
			rc_job_fail(j, ret, "cannot create", true);
			return rc_job_finish(j);
		}
		rc_op_prep_openat(op, j->dir->dst_fd, j->tmp, O_WRONLY |
				  O_CREAT | O_EXCL | O_CLOEXEC, mode);
	}
	rc_job_submit(j, op, RC_JT_CREATE);
}

/* Start pumping the next data segment; false when there is none. */
static bool rc_job_next_segment(struct rc_job *j, uint64_t from)
{
	struct rc_tree *t = j->t;
	uint64_t start = from, end = j->size;
	int ret;

	if (from >= j->size)
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
			    true, &t->o->copy);
	j->pump.owner = j;
	if (ret && rc_pump_done(&j->pump)) {
		rc_job_fail(j, ret, "cannot copy", false);
		return false;
	}
	return true;
}

/* DATA is over: truncate where needed, metadata, fsync, then place. */
static void rc_job_data_done(struct rc_job *j)
{
	struct rc_tree *t = j->t;
	struct stat cur = { 0 };
	const char *what;
	struct rc_op *op;
	int ret;

	if (j->sparse || j->size >= RC_TREE_FALLOC_MIN) {
		/* holes at the end, or a file that shrank under fallocate */
		if (ftruncate(j->dst_fd, (off_t)j->size) < 0) {
			rc_job_fail(j, -errno, "error writing", true);
			return rc_job_finish(j);
		}
	}
	cur.st_mode = rc_meta_mode(t, j->st.st_mode) & 0777;	/* as created */
	cur.st_uid = t->euid;
	cur.st_gid = j->dir->new_gid;
	ret = rc_meta_apply_fd(t, j->src_fd, j->dst_fd, &j->st, &cur, true,
			       &what);
	if (ret) {
		rc_job_fail(j, ret, what, true);
		return rc_job_finish(j);
	}
	/* the source is done with */
	if (rc_job_close(j, &j->src_fd)) {
		rc_job_fail(j, -ENOMEM, "cannot copy", false);
		return rc_job_finish(j);
	}
	if (t->o->copy.fsync) {
		j->step = RC_STEP_FSYNC;
		if (rc_job_op(j, &op))
			return rc_job_finish(j);
		rc_op_prep_fsync(op, j->dst_fd, 0);
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

	j->step = RC_STEP_PLACE;
	if (rc_job_op(j, &op)) {
		rc_job_finish(j);
		return NULL;
	}
	j->place_by_proc = t->link_by_proc;
	if (j->tmp[0])
		rc_op_prep_renameat(op, j->dir->dst_fd, j->tmp, j->dir->dst_fd,
				    j->dst_name, 0);
	else if (j->place_by_proc) {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", j->dst_fd);
		rc_op_prep_linkat(op, AT_FDCWD, proc, j->dir->dst_fd,
				  j->dst_name, AT_SYMLINK_FOLLOW);
	} else
		rc_op_prep_linkat(op, j->dst_fd, "", j->dir->dst_fd,
				  j->dst_name, AT_EMPTY_PATH);
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

	if (j->direct) {
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
	rc_tree_verbose(t, j->dir, j->dst_name, "");
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

	j->step = RC_STEP_PLACE;
	if (j->src_fd >= 0 && rc_job_close(j, &j->src_fd)) {
		rc_dir_put(j->t, d);
		rc_job_fail(j, -ENOMEM, "cannot copy", false);
		return rc_job_finish(j);
	}
	if (rc_job_op(j, &op)) {
		rc_dir_put(j->t, d);
		return rc_job_finish(j);
	}
	rc_op_prep_linkat(op, d->dst_fd, name, j->dir->dst_fd, j->dst_name, 0);
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
	j->direct = j->dir->staged;
	rc_job_create(j);
}

static void rc_job_resume(struct rc_tree *t, struct rc_job *j, bool placed)
{
	(void)placed;
	if (j->step != RC_STEP_WAIT)
		return;
	rc_job_opened(j);
}

/* All ops of the current step are back: take the next step. */
static void rc_job_step_done(struct rc_job *j)
{
	struct rc_tree *t = j->t;

	if (j->step == RC_STEP_PLACE_WAIT)
		return;		/* its directory's chain sends it on */
	if (j->err && j->step != RC_STEP_CLOSE)
		return rc_job_finish(j);
	switch (j->step) {
	case RC_STEP_OPEN:
		return rc_job_opened(j);
	case RC_STEP_CREATE:
		if (j->size >= RC_TREE_FALLOC_MIN && !j->sparse &&
		    !t->o->copy.no_fallocate &&
		    fallocate(j->dst_fd, 0, 0, (off_t)j->size) < 0 &&
		    errno != EOPNOTSUPP && errno != ENOSYS && errno != EINVAL) {
			rc_job_fail(j, -errno, "error writing", true);
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
		rc_job_fail(j, p->err, p->side == RC_SIDE_DST ?
			    "error writing" : "error reading",
			    p->side == RC_SIDE_DST);
		return rc_job_finish(j);
	}
	eof = rc_pump_eof(p);
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

/* One of the job's own ops came back. */
static void rc_job_op_done(struct rc_job *j, struct rc_op *op)
{
	struct rc_tree *t = j->t;
	enum rc_job_tag tag = (enum rc_job_tag)op->user_tag;
	int res = op->res;
	int ret;

	j->pending--;
	switch (tag) {
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
		if (res >= 0) {
			j->dst_fd = res;
			j->created = j->direct;
			break;
		}
		if (j->direct && res == -EEXIST) {
			/* another operand's file: replace it as usual */
			j->direct = false;
			rc_op_put(op);
			return rc_job_create(j);
		}
		if (j->direct) {
			/* says nothing of O_TMPFILE support */
			rc_job_fail(j, res, "cannot create", true);
			break;
		}
		if (!t->no_tmpfile && (res == -EOPNOTSUPP ||
				       res == -EISDIR || res == -EINVAL)) {
			t->no_tmpfile = true;	/* retry with a name */
			rc_op_put(op);
			return rc_job_create(j);
		}
		if (t->no_tmpfile && res == -EEXIST) {
			rc_op_put(op);
			return rc_job_create(j);
		}
		j->tmp[0] = '\0';
		rc_job_fail(j, res, "cannot create", true);
		break;
	case RC_JT_FSYNC:
		if (res < 0)
			rc_job_fail(j, res, "cannot sync", true);
		break;
	case RC_JT_PLACE: {
		/* linking an fd needs CAP_DAC_READ_SEARCH (before Linux
		 * 6.10): from here link through /proc, before the next chain
		 * goes, and retry every fd link that came back -ENOENT */
		bool by_proc = res == -ENOENT && !j->tmp[0] &&
			       !j->place_by_proc;

		if (by_proc)
			t->link_by_proc = true;
		if (!--j->dir->places)
			rc_dir_place_flush(j->dir);
		if (by_proc) {
			rc_op_put(op);
			return rc_job_place(j);
		}
		if (res == -EEXIST && !j->tmp[0])
			res = rc_job_replace(j);
		if (res < 0)
			rc_job_fail(j, res, "cannot create", true);
		else
			rc_job_placed(j);
		break;
	}
	case RC_JT_HLINK: {
		struct rc_dir *d = j->link_dir;

		j->link_dir = NULL;
		if (res == -EEXIST) {
			/* replace: link under a temporary name, rename */
			ret = rc_temp_name(j->dst_name, j->tmp,
						sizeof(j->tmp));
			res = ret ? ret : linkat(d->dst_fd, op->path,
						 j->dir->dst_fd, j->tmp, 0);
			if (!res && renameat(j->dir->dst_fd, j->tmp,
					     j->dir->dst_fd, j->dst_name) < 0) {
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
			rc_tree_verbose(t, j->dir, j->dst_name, "");
		}
		j->step = RC_STEP_PLACE;
		break;
	}
	case RC_JT_CLOSE:
		break;
	}
	rc_op_put(op);
	if (!j->pending)
		rc_job_step_done(j);
}

/* The quick check: is dst_dir/name already this file (size, mtime)? */
static bool rc_up_to_date(struct rc_tree *t, struct rc_dir *d,
			  const char *name, const char *dst_name)
{
	struct stat s, ds;

	if (d->fresh || d->dst_fd < 0 || !t->o->times)
		return false;
	if (fstatat(d->dst_fd, dst_name, &ds, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISREG(ds.st_mode))
		return false;
	if (fstatat(d->src_fd, name, &s, AT_SYMLINK_NOFOLLOW) < 0)
		return false;
	if (!S_ISREG(s.st_mode) || s.st_size != ds.st_size ||
	    s.st_mtim.tv_sec != ds.st_mtim.tv_sec ||
	    s.st_mtim.tv_nsec != ds.st_mtim.tv_nsec)
		return false;
	/* later names of its hard-link group link to this copy */
	if (t->o->hard_links && s.st_nlink > 1)
		rc_hlink_seen(t, s.st_dev, s.st_ino, (unsigned)s.st_nlink, d,
			      dst_name);
	return true;
}

/* A regular file listed: start its job (or list it, in a dry run). */
static void rc_tree_file(struct rc_tree *t, struct rc_dir *d,
			 const char *name, const char *dst_name)
{
	struct rc_job *j;

	if (rc_up_to_date(t, d, name, dst_name)) {
		t->st->skipped++;
		rc_dir_put(t, d);
		return;
	}
	if (t->o->dry_run) {
		struct stat s;

		if (fstatat(d->src_fd, name, &s, AT_SYMLINK_NOFOLLOW) == 0)
			t->st->bytes += (uint64_t)s.st_size;
		t->st->files++;
		rc_tree_verbose(t, d, dst_name, "");
		rc_dir_put(t, d);
		return;
	}
	j = calloc(1, sizeof(*j));
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
	j->src_fd = j->dst_fd = -1;
	j->next = rc_jobs;
	if (rc_jobs)
		rc_jobs->prev = j;
	rc_jobs = j;
	t->active++;
	rc_job_open(j);
}

/* Any other entry: stat it and make it, or skip it. */
static void rc_tree_entry(struct rc_tree *t, struct rc_dir *d,
			  const char *name, const char *dst_name,
			  unsigned char type)
{
	struct stat st;

	if (type == DT_REG)
		return rc_tree_file(t, d, name, dst_name);
	if (fstatat(d->src_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT) {
			rc_tree_vanished(t, rc_tree_path(d->src_path, name));
		} else
			rc_tree_err(t, -errno, "cannot stat '%s'",
				    rc_tree_path(d->src_path, name));
	} else if (S_ISREG(st.st_mode))
		return rc_tree_file(t, d, name, dst_name);
	else
		rc_meta_copy_special(t, d, name, &st);
	rc_dir_put(t, d);
}

/* Hand every op that came back to its job (or pump). */
static void rc_tree_reap(struct rc_tree *t)
{
	struct rc_op *op;

	while ((op = rc_ring_next(t->r))) {
		struct rc_pump *p = rc_pump_of(op);

		if (p)
			rc_job_pump_op(p->owner, op);
		else
			rc_job_op_done(op->user, op);
	}
}

/* Stop everything: cancel, drain, then close and forget every job. */
static int rc_tree_abort(struct rc_tree *t)
{
	struct rc_job *j;
	int ret;

	t->stopping = true;
	rc_ring_cancel_all(t->r);
	ret = rc_ring_drain(t->r, RC_COPY_DRAIN_MS);
	if (ret)
		return ret;	/* fds stay open: process exit waits */
	while ((j = rc_jobs)) {
		j->dir->place_head = j->dir->place_tail = NULL;
		j->dir->places = 0;
		j->pending = 0;
		if (j->pump_live)
			rc_pump_forget(&j->pump);
		j->pump_live = false;
		if (j->tmp[0])
			unlinkat(j->dir->dst_fd, j->tmp, 0);
		/* its create may have run during the drain, unreported */
		if (j->created || (j->direct && j->step == RC_STEP_CREATE))
			unlinkat(j->dir->dst_fd, j->dst_name, 0);
		if (j->src_fd >= 0)
			close(j->src_fd);
		if (j->dst_fd >= 0)
			close(j->dst_fd);
		if (j->link_dir)
			rc_dir_put(t, j->link_dir);
		rc_job_free(j);
	}
	return 0;
}

static void rc_tree_progress(struct rc_tree *t, bool last)
{
	uint64_t now = rc_now_ns(), el = now - t->start_ns;
	double rate, mib;
	uint64_t done = t->st->files + t->st->skipped + t->st->hard_links;
	char eta[32] = "--:--";

	if (!t->o->progress || (!last && now - t->last_progress_ns < 250000000))
		return;
	if (!t->progress_tty && !last)
		return;
	t->last_progress_ns = now;
	mib = (double)t->st->bytes / (1024.0 * 1024.0);
	rate = el ? mib / ((double)el / 1e9) : 0;
	if (rate > 0 && t->total_bytes > t->st->bytes) {
		double left = (double)(t->total_bytes - t->st->bytes) /
			      (1024.0 * 1024.0) / rate;

		snprintf(eta, sizeof(eta), "%u:%02u", (unsigned)left / 60,
			 (unsigned)left % 60);
	} else if (last || t->total_bytes <= t->st->bytes)
		snprintf(eta, sizeof(eta), "0:00");
	fprintf(stderr, "%s%10.1f MiB  %8" PRIu64 "/%" PRIu64 " files  "
		"%8.1f MiB/s  ETA %s%s", t->progress_tty ? "\r" : "", mib, done,
		t->total_files, rate, eta, last || !t->progress_tty ? "\n" :
		"\033[K");
}

/*
 * Harness builds only: the chaos hook may abort the whole job at any turn
 * of the loop, with every kind of op of every file in flight.
 */
static bool rc_tree_chaos(struct rc_tree *t)
{
#ifdef RC_TRACE
	const struct rc_copy_opts *o = &t->o->copy;

	return o->chaos && o->chaos(o->chaos_arg, t->active) != RC_CHAOS_NONE;
#else
	(void)t;
	return false;
#endif
}

/* ---- operands ---- */

/* Split path into its directory ("" for none) and base name. */
static void rc_split(const char *path, char *dir, size_t dsize,
		     const char **base)
{
	const char *end = path + strlen(path), *slash;

	while (end > path + 1 && end[-1] == '/')
		end--;
	for (slash = end; slash > path && slash[-1] != '/'; slash--)
		;
	*base = slash;
	if (slash == path)
		snprintf(dir, dsize, "%s", "");
	else if (slash == path + 1)
		snprintf(dir, dsize, "%s", "/");
	else
		snprintf(dir, dsize, "%.*s", (int)(slash - path - 1), path);
}

static int rc_open_dir(const char *path)
{
	int fd = open(path[0] ? path : ".", O_RDONLY | O_DIRECTORY |
		      O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/*
 * realpath of path; for a path that does not exist (yet), realpath of its
 * deepest existing ancestor with the rest appended.  NULL on failure.
 */
static char *rc_resolve(const char *path)
{
	char head[PATH_MAX], *rd, *out;
	const char *base;
	size_t n;

	out = realpath(path, NULL);
	if (out || errno != ENOENT)
		return out;
	rc_split(path, head, sizeof(head), &base);
	rd = rc_resolve(head[0] ? head : ".");
	if (!rd)
		return NULL;
	n = strlen(rd) + strlen(base) + 2;
	out = malloc(n);
	if (out)
		snprintf(out, n, "%s%s%.*s", rd, strcmp(rd, "/") ? "/" : "",
			 (int)strcspn(base, "/"), base);
	free(rd);
	return out;
}

/* Is the copy's target the source, or inside it? (usage errors) */
static int rc_check_overlap(const char *src, const char *target)
{
	char *s = rc_resolve(src), *d = rc_resolve(target);
	int ret = 0;
	size_t n;

	if (s && d) {
		n = strlen(s);
		if (!strcmp(s, d)) {
			fprintf(stderr, "ringcp: source '%s' and destination "
				"'%s' are the same\n", src, target);
			ret = -EINVAL;
		} else if (!strncmp(s, d, n) && (d[n] == '/' || n == 1)) {
			fprintf(stderr, "ringcp: cannot copy '%s' into itself, "
				"'%s'\n", src, target);
			ret = -EINVAL;
		}
	}
	free(s);
	free(d);
	return ret;
}

/* Make the destination directory if missing; its fd, or -errno. */
static int rc_dst_dir(struct rc_tree *t, const char *dst, bool *fresh)
{
	int fd;

	*fresh = false;
	if (!t->o->dry_run && mkdir(dst, 0700) == 0)
		*fresh = true;
	fd = rc_open_dir(dst);
	if (fd == -ENOENT && t->o->dry_run)
		*fresh = true;
	return fd;
}

/*
 * The usage errors of one operand, found before anything is copied: a
 * directory copied into itself or onto itself, a file onto itself.
 * Returns 0 or -EINVAL (message printed).
 */
static int rc_tree_check_operand(struct rc_tree *t, const char *src,
				 const char *dst, bool dst_is_dir)
{
	size_t sl = strlen(src);
	bool slash = sl > 1 && src[sl - 1] == '/';
	char sdir[PATH_MAX];
	const char *sbase;
	struct stat st;
	int ret;

	if ((slash ? stat(src, &st) : lstat(src, &st)) < 0)
		return 0;	/* reported when its turn comes */
	if (S_ISDIR(st.st_mode) && t->o->recursive) {
		char target[PATH_MAX + NAME_MAX + 2];

		rc_split(src, sdir, sizeof(sdir), &sbase);
		snprintf(target, sizeof(target), "%s%s%.*s", dst,
			 dst[strlen(dst) - 1] == '/' ? "" : "/",
			 (int)strcspn(sbase, "/"), sbase);
		ret = rc_check_overlap(src, slash ? dst : target);
		if (ret)
			return ret;
	}
	if (!S_ISDIR(st.st_mode)) {
		char target[PATH_MAX + NAME_MAX + 2];
		struct stat ts;

		rc_split(src, sdir, sizeof(sdir), &sbase);
		snprintf(target, sizeof(target), "%s%s%.*s", dst,
			 dst[strlen(dst) - 1] == '/' ? "" : "/",
			 (int)strcspn(sbase, "/"), sbase);
		if (lstat(dst_is_dir ? target : dst, &ts) == 0 &&
		    ts.st_dev == st.st_dev && ts.st_ino == st.st_ino) {
			fprintf(stderr, "ringcp: '%s' and '%s' are the same "
				"file\n", src, dst_is_dir ? target : dst);
			return -EINVAL;
		}
	}
	return 0;
}

/* Set up the walk of one operand into dst; NULL walk if nothing to walk. */
static int rc_tree_operand(struct rc_tree *t, const char *src, const char *dst,
			   bool dst_is_dir, struct rc_walk **wp)
{
	size_t sl = strlen(src);
	bool slash = sl > 1 && src[sl - 1] == '/';
	char sdir[PATH_MAX], ddir[PATH_MAX];
	const char *sbase, *dbase;
	struct rc_dir *holder;
	struct stat st;
	int sfd, dfd, ret;
	bool fresh;

	*wp = NULL;
	if ((slash ? stat(src, &st) : lstat(src, &st)) < 0) {
		ret = -errno;
		rc_tree_err(t, ret, "cannot stat '%s'", src);
		return 0;
	}
	if (S_ISDIR(st.st_mode) && slash && t->o->recursive) {
		/* "SRC/": SRC's contents into dst, SRC's metadata on dst */
		sfd = rc_open_dir(src);
		if (sfd < 0) {
			rc_tree_err(t, sfd, "cannot open directory '%s'", src);
			return 0;
		}
		dfd = rc_dst_dir(t, dst, &fresh);
		if (dfd < 0 && !(t->o->dry_run && fresh)) {
			close(sfd);
			rc_tree_err(t, dfd, "cannot create directory '%s'",
				    dst);
			return 0;
		}
		if (fresh)
			t->st->dirs++;
		holder = rc_dir_new(NULL, sfd, dfd, src, dst, "");
		if (!holder) {
			close(sfd);
			if (dfd >= 0)
				close(dfd);
			return -ENOMEM;
		}
		holder->st = st;
		holder->fresh = fresh;
		if (!fresh)
			rc_walk_clean_temps(t, holder, NULL);
		rc_dir_set_new_gid(t, holder);
		ret = rc_walk_new(t, holder, NULL, wp);
		if (ret)
			rc_dir_put(t, holder);
		return ret;
	}
	/* "SRC": the entry itself, into dst (a directory) or as dst */
	rc_split(src, sdir, sizeof(sdir), &sbase);
	if (dst_is_dir) {
		dfd = rc_dst_dir(t, dst, &fresh);
		snprintf(ddir, sizeof(ddir), "%s", dst);
		dbase = NULL;
	} else {
		rc_split(dst, ddir, sizeof(ddir), &dbase);
		dfd = rc_open_dir(ddir);
		fresh = false;
	}
	if (dfd < 0 && !(t->o->dry_run && fresh)) {
		rc_tree_err(t, dfd, "cannot create '%s'", dst);
		return 0;
	}
	sfd = rc_open_dir(sdir);
	if (sfd < 0) {
		if (dfd >= 0)
			close(dfd);
		rc_tree_err(t, sfd, "cannot open directory '%s'",
			    sdir[0] ? sdir : ".");
		return 0;
	}
	holder = rc_dir_new(NULL, sfd, dfd, sdir, ddir, "");
	if (!holder) {
		close(sfd);
		if (dfd >= 0)
			close(dfd);
		return -ENOMEM;
	}
	holder->apply_meta = false;
	holder->fresh = fresh;
	if (!fresh)	/* only the leftovers of the one entry we copy */
		rc_walk_clean_temps(t, holder, dbase ? dbase : sbase);
	rc_dir_set_new_gid(t, holder);
	if (!S_ISDIR(st.st_mode) && !dst_is_dir) {
		/* a file copied to a new name: no walk */
		rc_dir_get(holder);
		rc_tree_entry(t, holder, sbase, dbase,
			      S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN);
		rc_dir_put(t, holder);
		return 0;
	}
	ret = rc_walk_new(t, holder, sbase, wp);
	if (ret)
		rc_dir_put(t, holder);
	return ret;
}

int rc_tree_copy(struct rc_ring *r, const struct rc_tree_src *srcs,
		 unsigned nsrcs, const char *dst,
		 const struct rc_tree_opts *opts, struct rc_tree_stats *stats)
{
	struct rc_tree t = {
		.r = r,
		.o = opts,
		.st = stats,
		.euid = geteuid(),
		.egid = getegid(),
	};
	unsigned fif = opts->files_in_flight ? opts->files_in_flight :
					       RC_TREE_DEFAULT_FILES;
	struct rc_walk *w = NULL;
	unsigned next_src = 0;
	bool dst_is_dir;
	struct stat dst_st;
	size_t dl = strlen(dst);
	int ret = 0;

	memset(stats, 0, sizeof(*stats));
	t.root = t.euid == 0;
	t.start_ns = rc_now_ns();
	t.progress_tty = isatty(STDERR_FILENO);
	if (!dl) {
		fprintf(stderr, "ringcp: cannot create '': %s\n",
			strerror(ENOENT));
		return -EINVAL;
	}
	/* DST is a directory if it is one, ends in '/', or must hold
	 * several operands or a "SRC/" */
	dst_is_dir = (stat(dst, &dst_st) == 0 && S_ISDIR(dst_st.st_mode)) ||
		     dst[dl - 1] == '/' || nsrcs > 1;
	if (!dst_is_dir && nsrcs == 1) {
		struct stat s;
		size_t sl = strlen(srcs[0].path);

		if (stat(srcs[0].path, &s) == 0 && S_ISDIR(s.st_mode) &&
		    opts->recursive &&
		    (sl > 1 && srcs[0].path[sl - 1] == '/'))
			dst_is_dir = true;
		else if (lstat(srcs[0].path, &s) == 0 &&
			 S_ISDIR(s.st_mode) && opts->recursive)
			dst_is_dir = true;
	}
	for (unsigned i = 0; i < nsrcs; i++)
		if (rc_tree_check_operand(&t, srcs[i].path, dst, dst_is_dir))
			return -EINVAL;
	if (opts->progress) {
		unsigned i;

		for (i = 0; i < nsrcs; i++) {
			int fd = open(srcs[i].path, O_RDONLY | O_DIRECTORY |
				      O_CLOEXEC);
			struct stat s;

			if (fd >= 0) {
				rc_walk_measure(fd, &t.total_files,
						&t.total_bytes);
				close(fd);
			} else if (stat(srcs[i].path, &s) == 0) {
				t.total_files++;
				t.total_bytes += (uint64_t)s.st_size;
			}
		}
	}

	for (;;) {
		struct rc_dir *d;
		const char *name;
		unsigned char type;

		if ((opts->copy.stop && *opts->copy.stop) ||
		    rc_tree_chaos(&t)) {
			t.stopping = true;	/* before any dir is done */
			rc_walk_free(w);
			w = NULL;
			ret = rc_tree_abort(&t);
			ret = ret ? ret : -EINTR;
			break;
		}
		while (t.active < fif) {
			if (!w) {
				if (next_src == nsrcs)
					break;
				ret = rc_tree_operand(&t, srcs[next_src].path,
						      dst, dst_is_dir, &w);
				next_src++;
				if (ret)
					break;
				continue;
			}
			ret = rc_walk_next(w, &d, &name, &type);
			if (ret <= 0) {
				rc_walk_free(w);
				w = NULL;
				if (ret)
					break;
				continue;
			}
			rc_tree_entry(&t, d, name, name, type);
		}
		if (ret < 0) {
			rc_tree_err(&t, ret, "cannot go on");
			rc_walk_free(w);
			w = NULL;
			next_src = nsrcs;
			ret = 0;
		}
		if (!t.active && !w && next_src == nsrcs)
			break;
		ret = rc_ring_wait(r, 1, -1);
		if (ret < 0 && ret != -EINTR && ret != -ETIME) {
			rc_tree_err(&t, ret, "io_uring wait failed");
			t.stopping = true;
			rc_walk_free(w);
			w = NULL;
			rc_tree_abort(&t);
			break;
		}
		ret = 0;
		rc_tree_reap(&t);
		rc_tree_progress(&t, false);
	}
	rc_hlink_free(&t);
	stats->elapsed_ns = rc_now_ns() - t.start_ns;
	rc_tree_progress(&t, true);
	return ret;
}

void rc_tree_print_json(FILE *f, const struct rc_tree_stats *s,
			const struct rc_ring_stats *rs)
{
	double secs = (double)s->elapsed_ns / 1e9;

	fprintf(f, "{\"files\": %" PRIu64 ", \"dirs\": %" PRIu64
		", \"symlinks\": %" PRIu64 ", \"specials\": %" PRIu64
		", \"hard_links\": %" PRIu64 ", \"skipped\": %" PRIu64
		", \"bytes\": %" PRIu64 ", \"errors\": %" PRIu64
		", \"vanished\": %" PRIu64 ", \"elapsed_ns\": %" PRIu64
		", \"bw_bytes_per_s\": %.0f, \"files_per_s\": %.1f"
		", \"ops_submitted\": %" PRIu64 ", \"enter_calls\": %" PRIu64
		", \"cancels\": %" PRIu64 "}\n",
		s->files, s->dirs, s->symlinks, s->specials, s->hard_links,
		s->skipped, s->bytes, s->errors, s->vanished, s->elapsed_ns,
		secs > 0 ? (double)s->bytes / secs : 0,
		secs > 0 ? (double)s->files / secs : 0,
		rs->ops_submitted, rs->enter_calls, rs->cancels);
}
