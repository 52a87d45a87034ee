/* SPDX-License-Identifier: MIT */
/*
 * One regular file, copied under a temporary name in the target directory
 * and renamed into place only when complete.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ringcp/copy.h"

/* One file's copy in progress: what rc_copy_file's steps share. */
struct rc_file_copy {
	struct rc_ring *r;
	const char *src;
	const struct rc_copy_opts *opts;
	struct rc_copy_result *res;
	int src_fd, dir_fd, tmp_fd;
	int drain_err;		/* ops may still use the fds: keep them open */
	struct stat st;		/* the source's */
	struct stat old;	/* the destination's, if it exists */
	bool overwrite;		/* ... and is a regular file */
	const char *base;	/* the final name, in dir_fd */
	char tmp[NAME_MAX + 1];	/* the temporary name, "" for O_TMPFILE */
};

static int rc_copy_error(struct rc_copy_result *res, int err,
			 const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(res->msg, sizeof(res->msg), fmt, ap);
	va_end(ap);
	n = strlen(res->msg);
	if (err)
		snprintf(res->msg + n, sizeof(res->msg) - n, ": %s",
			 strerror(-err));
	res->err = err ? err : -EINVAL;
	return res->err;
}

static const char *rc_base_name(const char *path)
{
	const char *end = path + strlen(path), *p;

	while (end > path + 1 && end[-1] == '/')
		end--;
	for (p = end; p > path && p[-1] != '/'; p--)
		;
	return p;
}

/* The final path: dst, or dst/<base of src> if dst is a directory. */
static int rc_final_path(const char *src, const char *dst,
			 struct rc_copy_result *res)
{
	struct stat st;
	const char *base = rc_base_name(src);
	size_t blen = strcspn(base, "/");
	size_t dlen = strlen(dst);
	int n;

	if (!dlen)
		return rc_copy_error(res, -ENOENT, "cannot create ''");
	if (stat(dst, &st) == 0 && S_ISDIR(st.st_mode)) {
		n = snprintf(res->final_path, sizeof(res->final_path),
			     "%s%s%.*s", dst,
			     dlen && dst[dlen - 1] == '/' ? "" : "/",
			     (int)blen, base);
	} else {
		if (dlen && dst[dlen - 1] == '/')
			return rc_copy_error(res, -ENOTDIR,
					     "cannot create '%s'", dst);
		n = snprintf(res->final_path, sizeof(res->final_path), "%s",
			     dst);
	}
	if (n < 0 || (size_t)n >= sizeof(res->final_path))
		return rc_copy_error(res, -ENAMETOOLONG, "cannot create '%s'",
				     dst);
	return 0;
}

/* Open the directory that will hold path; *basep points at its name. */
static int rc_open_parent(const char *path, const char **basep)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	int fd;

	if (!slash) {
		*basep = path;
		fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	} else {
		size_t len = slash == path ? 1 : (size_t)(slash - path);

		memcpy(dir, path, len);
		dir[len] = '\0';
		*basep = slash + 1;
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	return fd < 0 ? -errno : fd;
}

/*
 * Create the file the data goes to, in dirfd.  Preferably unnamed
 * (O_TMPFILE): then a crash or SIGKILL leaves nothing behind, and tmp is
 * set to "".  Else a named temporary file, its name in tmp.  Returns the
 * fd or -errno.
 */
static int rc_create_temp(int dirfd, const char *base, char *tmp, size_t size)
{
	int tries, fd, ret;

	tmp[0] = '\0';
	fd = openat(dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
		return -errno;
	for (tries = 0; tries < 100; tries++) {
		ret = rc_temp_name(base, tmp, size);
		if (ret)
			return ret;
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			    0600);
		if (fd >= 0 || errno != EEXIST)
			return fd < 0 ? -errno : fd;
	}
	return -EEXIST;
}

/* Give an unnamed (O_TMPFILE) file a temporary name in dirfd. */
static int rc_name_temp(int fd, int dirfd, const char *base, char *tmp,
			size_t size)
{
	char proc[64];
	int tries, ret;

	for (tries = 0; tries < 100; tries++) {
		ret = rc_temp_name(base, tmp, size);
		if (ret)
			return ret;
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		ret = linkat(AT_FDCWD, proc, dirfd, tmp, AT_SYMLINK_FOLLOW);
		if (ret < 0 && errno == ENOENT)	/* no /proc: needs privilege */
			ret = linkat(fd, "", dirfd, tmp, AT_EMPTY_PATH);
		if (ret == 0)
			return 0;
		if (errno != EEXIST) {
			ret = -errno;
			tmp[0] = '\0';
			return ret;
		}
	}
	tmp[0] = '\0';
	return -EEXIST;
}

/*
 * fsync through the engine.  The ring must have nothing else in flight
 * (rc_copy_file's case): the next op handed back is ours.  If waiting
 * fails, the fsync is cancelled and drained; *drain_err says whether that
 * drain finished (if not, fd must stay open).
 */
static int rc_fsync_op(struct rc_ring *r, int fd, int *drain_err)
{
	struct rc_op *op, *done = NULL;
	int ret;

	ret = rc_op_get(r, &op);
	if (ret)
		return ret;
	ret = rc_op_prep_fsync(op, fd, 0);
	if (ret) {
		rc_op_put(op);
		return ret;
	}
	rc_op_submit(op);
	while (!done) {
		ret = rc_ring_wait(r, 1, -1);
		if (ret < 0 && ret != -EINTR) {
			rc_op_cancel(op);
			*drain_err = rc_ring_drain(r, RC_COPY_DRAIN_MS);
			return ret;
		}
		done = rc_ring_next(r);
	}
	ret = done->res;
	rc_op_put(done);
	return ret;
}

/* Open the source: a regular file (a FIFO is never waited on). */
static int rc_file_open_src(struct rc_file_copy *fc)
{
	struct rc_copy_result *res = fc->res;

	/* O_NONBLOCK: never hang opening a FIFO; cleared once it is regular */
	fc->src_fd = open(fc->src, O_RDONLY | O_CLOEXEC | O_NOCTTY |
			  O_NONBLOCK);
	if (fc->src_fd < 0)
		return rc_copy_error(res, -errno, "cannot open '%s'", fc->src);
	if (fstat(fc->src_fd, &fc->st) < 0)
		return rc_copy_error(res, -errno, "cannot stat '%s'", fc->src);
	if (S_ISDIR(fc->st.st_mode))
		return rc_copy_error(res, -EISDIR, "cannot copy '%s'", fc->src);
	if (!S_ISREG(fc->st.st_mode))
		return rc_copy_error(res, 0, "cannot copy '%s': not a regular "
				     "file", fc->src);
	fcntl(fc->src_fd, F_SETFL, 0);
	return 0;
}

/*
 * The destination side: the final path (not the source itself), its
 * directory, and the temporary file there, preallocated.
 */
static int rc_file_open_dst(struct rc_file_copy *fc, const char *dst)
{
	struct rc_copy_result *res = fc->res;
	struct stat dst_st;
	int ret;

	ret = rc_final_path(fc->src, dst, res);
	if (ret)
		return ret;
	if (stat(res->final_path, &dst_st) == 0 &&
	    dst_st.st_dev == fc->st.st_dev && dst_st.st_ino == fc->st.st_ino)
		return rc_copy_error(res, 0, "'%s' and '%s' are the same file",
				     fc->src, res->final_path);
	fc->overwrite = stat(res->final_path, &fc->old) == 0 &&
			S_ISREG(fc->old.st_mode);
	fc->dir_fd = rc_open_parent(res->final_path, &fc->base);
	if (fc->dir_fd < 0)
		return rc_copy_error(res, fc->dir_fd, "cannot create '%s'",
				     res->final_path);
	fc->tmp_fd = rc_create_temp(fc->dir_fd, fc->base, fc->tmp,
				    sizeof(fc->tmp));
	if (fc->tmp_fd < 0)
		return rc_copy_error(res, fc->tmp_fd, "cannot create '%s'",
				     res->final_path);
	return 0;
}

/* The error of a failed rc_copy_fd, said for the side it came from. */
static int rc_file_data_error(struct rc_file_copy *fc, int64_t size,
			      enum rc_copy_side side)
{
	struct rc_copy_result *res = fc->res;

	if (side == RC_SIDE_SRC)
		return rc_copy_error(res, (int)size, "error reading '%s'",
				     fc->src);
	if (side == RC_SIDE_DST)
		return rc_copy_error(res, (int)size, "error writing '%s'",
				     res->final_path);
	if (size == -EINTR) {
		rc_copy_error(res, 0, "interrupted copying '%s'", fc->src);
		return res->err = -EINTR;
	}
	if (size == -ECANCELED) {
		rc_copy_error(res, 0, "cancelled copying '%s'", fc->src);
		return res->err = -ECANCELED;
	}
	return rc_copy_error(res, (int)size, "cannot copy '%s'", fc->src);
}

/*
 * The data by clone (--reflink=auto|always), before any op names the
 * fds: nothing of this file is in flight yet.  Returns 1 when cloned
 * (res->bytes the clone's size), 0 to copy (never; auto and the clone
 * failed), or -errno when always could not clone (message in res).
 */
static int rc_file_clone(struct rc_file_copy *fc)
{
	struct rc_copy_result *res = fc->res;
	enum rc_reflink mode = rc_copy_reflink(fc->opts);
	struct stat st;
	int ret;

	if (mode == RC_REFLINK_NEVER)
		return 0;
	ret = rc_clone_fd(fc->src_fd, fc->tmp_fd);
	if (ret)
		return mode == RC_REFLINK_ALWAYS ?
		       rc_copy_error(res, ret, "cannot clone (--reflink=always) "
				     "'%s' into '%s'", fc->src,
				     res->final_path) : 0;
	if (fstat(fc->tmp_fd, &st) < 0)
		return rc_copy_error(res, -errno, "cannot stat '%s'",
				     res->final_path);
	res->bytes = (uint64_t)st.st_size;
	return 1;
}

/* The data through the ring: preallocated, copied, cut to its size. */
static int rc_file_pump(struct rc_file_copy *fc)
{
	struct rc_copy_result *res = fc->res;
	enum rc_copy_side side;
	int64_t size;

	if (!fc->opts->no_fallocate && fc->st.st_size > 0 &&
	    fallocate(fc->tmp_fd, 0, 0, fc->st.st_size) < 0 &&
	    errno != EOPNOTSUPP && errno != ENOSYS && errno != EINVAL)
		return rc_copy_error(res, -errno, "cannot write '%s'",
				     res->final_path);
	size = rc_copy_fd(fc->r, fc->src_fd, fc->tmp_fd,
			  (uint64_t)fc->st.st_size, fc->opts, &side,
			  &fc->drain_err);
	if (size < 0)
		return rc_file_data_error(fc, size, side);
	res->bytes = (uint64_t)size;
	if (ftruncate(fc->tmp_fd, size) < 0)
		return rc_copy_error(res, -errno, "error writing '%s'",
				     res->final_path);
	return 0;
}

/* The data, then the size and mode, then (--fsync) durable. */
static int rc_file_data(struct rc_file_copy *fc)
{
	struct rc_copy_result *res = fc->res;
	mode_t mode;
	int ret;

	ret = rc_file_clone(fc);
	if (ret < 0)
		return ret;
	if (!ret && (ret = rc_file_pump(fc)))
		return ret;
	/* like cp without -p: a new file gets the permission bits less the
	 * umask, no set-user-ID, set-group-ID or sticky bit; a file
	 * overwritten keeps its owner and mode (a private file must not
	 * become readable by others) */
	mode = fc->st.st_mode & 0777 & ~fc->opts->umask;
	if (fc->overwrite) {
		mode = fc->old.st_mode & 07777;
		if (fchown(fc->tmp_fd, fc->old.st_uid, fc->old.st_gid) < 0 &&
		    errno != EPERM)
			return rc_copy_error(res, -errno, "cannot set owner "
					     "of '%s'", res->final_path);
	}
	if (fchmod(fc->tmp_fd, mode) < 0)
		return rc_copy_error(res, -errno, "cannot set mode of '%s'",
				     res->final_path);
	if (fc->opts->fsync) {
		ret = rc_fsync_op(fc->r, fc->tmp_fd, &fc->drain_err);
		if (ret)
			return rc_copy_error(res, ret, "cannot sync '%s'",
					     res->final_path);
	}
	return 0;
}

/* The complete file takes its final name (unless stopped first). */
static int rc_file_place(struct rc_file_copy *fc)
{
	struct rc_copy_result *res = fc->res;
	int ret;

	if (fc->opts->stop && *fc->opts->stop) {
		rc_copy_error(res, 0, "interrupted copying '%s'", fc->src);
		return res->err = -EINTR;
	}
	if (!fc->tmp[0]) {
		ret = rc_name_temp(fc->tmp_fd, fc->dir_fd, fc->base, fc->tmp,
				   sizeof(fc->tmp));
		if (ret)
			return rc_copy_error(res, ret, "cannot create '%s'",
					     res->final_path);
	}
	if (renameat(fc->dir_fd, fc->tmp, fc->dir_fd, fc->base) < 0)
		return rc_copy_error(res, -errno, "cannot rename to '%s'",
				     res->final_path);
	fc->tmp[0] = '\0';	/* the final name's now */
	return 0;
}

int rc_copy_file(struct rc_ring *r, const char *src, const char *dst,
		 const struct rc_copy_opts *opts, struct rc_copy_result *res)
{
	struct rc_file_copy fc = {
		.r = r, .src = src, .opts = opts, .res = res,
		.src_fd = -1, .dir_fd = -1, .tmp_fd = -1,
	};
	int ret;

	memset(res, 0, sizeof(*res));
	ret = rc_file_open_src(&fc);
	if (!ret)
		ret = rc_file_open_dst(&fc, dst);
	if (!ret)
		ret = rc_file_data(&fc);
	if (!ret)
		ret = rc_file_place(&fc);
	/* the file is in place; only its directory entry may not be
	 * durable yet if this fails */
	if (!ret && opts->fsync && fsync(fc.dir_fd) < 0)
		ret = rc_copy_error(res, -errno, "cannot sync the directory "
				    "of '%s'", res->final_path);
	if (fc.tmp_fd >= 0 && fc.tmp[0])
		unlinkat(fc.dir_fd, fc.tmp, 0);
	if (fc.drain_err) {
		/* ops may still use the fds: keep them open (process exit
		 * waits for the kernel) */
		return ret;
	}
	if (fc.tmp_fd >= 0)
		close(fc.tmp_fd);
	if (fc.dir_fd >= 0)
		close(fc.dir_fd);
	if (fc.src_fd >= 0)
		close(fc.src_fd);
	return ret;
}
