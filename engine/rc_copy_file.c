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
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rc_copy.h"

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

int rc_temp_name(const char *base, char *tmp, size_t size)
{
	uint32_t rnd;

	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		rnd = (uint32_t)rand() ^ (uint32_t)getpid();
	if ((size_t)snprintf(tmp, size, ".%.*s.ringcp-%08x", RC_TEMP_BASE_MAX,
			     base, rnd) >=
	    size)
		return -ENAMETOOLONG;
	return 0;
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
	rc_op_prep_fsync(op, fd, 0);
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

int rc_copy_file(struct rc_ring *r, const char *src, const char *dst,
		 const struct rc_copy_opts *opts, struct rc_copy_result *res)
{
	int src_fd = -1, dir_fd = -1, tmp_fd = -1, drain_err = 0, ret;
	char tmp[NAME_MAX + 1];
	const char *base;
	struct stat st, dst_st;
	enum rc_copy_side side;
	int64_t size;

	memset(res, 0, sizeof(*res));
	/* O_NONBLOCK: never hang opening a FIFO; cleared once it is regular */
	src_fd = open(src, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (src_fd < 0)
		return rc_copy_error(res, -errno, "cannot open '%s'", src);
	if (fstat(src_fd, &st) < 0) {
		ret = rc_copy_error(res, -errno, "cannot stat '%s'", src);
		goto err;
	}
	if (S_ISDIR(st.st_mode)) {
		ret = rc_copy_error(res, -EISDIR, "cannot copy '%s'", src);
		goto err;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = rc_copy_error(res, 0, "cannot copy '%s': not a regular "
				    "file", src);
		goto err;
	}
	fcntl(src_fd, F_SETFL, 0);

	ret = rc_final_path(src, dst, res);
	if (ret)
		goto err;
	if (stat(res->final_path, &dst_st) == 0 &&
	    dst_st.st_dev == st.st_dev && dst_st.st_ino == st.st_ino) {
		ret = rc_copy_error(res, 0, "'%s' and '%s' are the same file",
				    src, res->final_path);
		goto err;
	}
	dir_fd = rc_open_parent(res->final_path, &base);
	if (dir_fd < 0) {
		ret = rc_copy_error(res, dir_fd, "cannot create '%s'",
				    res->final_path);
		goto err;
	}
	tmp_fd = rc_create_temp(dir_fd, base, tmp, sizeof(tmp));
	if (tmp_fd < 0) {
		ret = rc_copy_error(res, tmp_fd, "cannot create '%s'",
				    res->final_path);
		goto err;
	}
	if (!opts->no_fallocate && st.st_size > 0 &&
	    fallocate(tmp_fd, 0, 0, st.st_size) < 0 &&
	    errno != EOPNOTSUPP && errno != ENOSYS && errno != EINVAL) {
		ret = rc_copy_error(res, -errno, "cannot write '%s'",
				    res->final_path);
		goto err;
	}

	size = rc_copy_fd(r, src_fd, tmp_fd, (uint64_t)st.st_size, opts,
			  &side, &drain_err);
	if (size < 0) {
		if (side == RC_SIDE_SRC)
			ret = rc_copy_error(res, (int)size,
					    "error reading '%s'", src);
		else if (side == RC_SIDE_DST)
			ret = rc_copy_error(res, (int)size,
					    "error writing '%s'",
					    res->final_path);
		else if (size == -EINTR) {
			rc_copy_error(res, 0, "interrupted copying '%s'", src);
			ret = res->err = -EINTR;
		} else if (size == -ECANCELED) {
			rc_copy_error(res, 0, "cancelled copying '%s'", src);
			ret = res->err = -ECANCELED;
		} else
			ret = rc_copy_error(res, (int)size, "cannot copy '%s'",
					    src);
		goto err;
	}
	res->bytes = (uint64_t)size;
	if (ftruncate(tmp_fd, size) < 0) {
		ret = rc_copy_error(res, -errno, "error writing '%s'",
				    res->final_path);
		goto err;
	}
	/* like cp without -p: permission bits less the umask, no
	 * set-user-ID, set-group-ID or sticky bit */
	if (fchmod(tmp_fd, st.st_mode & 0777 & ~opts->umask) < 0) {
		ret = rc_copy_error(res, -errno, "cannot set mode of '%s'",
				    res->final_path);
		goto err;
	}
	if (opts->fsync) {
		ret = rc_fsync_op(r, tmp_fd, &drain_err);
		if (ret) {
			ret = rc_copy_error(res, ret, "cannot sync '%s'",
					    res->final_path);
			goto err;
		}
	}
	if (opts->stop && *opts->stop) {
		rc_copy_error(res, 0, "interrupted copying '%s'", src);
		ret = res->err = -EINTR;
		goto err;
	}
	if (!tmp[0]) {
		ret = rc_name_temp(tmp_fd, dir_fd, base, tmp, sizeof(tmp));
		if (ret) {
			ret = rc_copy_error(res, ret, "cannot create '%s'",
					    res->final_path);
			goto err;
		}
	}
	if (renameat(dir_fd, tmp, dir_fd, base) < 0) {
		ret = rc_copy_error(res, -errno, "cannot rename to '%s'",
				    res->final_path);
		goto err;
	}
	if (opts->fsync && fsync(dir_fd) < 0) {
		/* the file is in place; only its directory entry may not be
		 * durable yet */
		ret = rc_copy_error(res, -errno, "cannot sync the directory of "
				    "'%s'", res->final_path);
		close(tmp_fd);
		close(dir_fd);
		close(src_fd);
		return ret;
	}
	close(tmp_fd);
	close(dir_fd);
	close(src_fd);
	return 0;
err:
	if (tmp_fd >= 0 && tmp[0])
		unlinkat(dir_fd, tmp, 0);
	if (drain_err) {
		/* ops may still use the fds: keep them open (process exit
		 * waits for the kernel) */
		return ret;
	}
	if (tmp_fd >= 0)
		close(tmp_fd);
	if (dir_fd >= 0)
		close(dir_fd);
	close(src_fd);
	return ret;
}
