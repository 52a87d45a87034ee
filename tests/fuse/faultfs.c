/* SPDX-License-Identifier: MIT */
/*
 * faultfs: a passthrough FUSE filesystem (libfuse3) over a backing
 * directory that injects device errors, for tests/cli_faults.sh (this
 * kernel has no device-mapper).  A fault is chosen by the file's name, so
 * a test lays out its tree and knows what each file does; the temporary
 * names ringcp writes (".NAME.ringcp-XXXXXXXX") keep NAME and so the fault:
 *
 *   *eio-read*    a read at or past 64 KiB fails with EIO
 *   *eio-write*   a write at or past 64 KiB fails with EIO
 *   *enospc*      a write at or past 64 KiB fails with ENOSPC
 *   *stall*       a read at or past 64 KiB sleeps FAULTFS_STALL_MS first
 *                 (default 2000), then succeeds
 *
 *   faultfs BACKING MOUNTPOINT [FUSE OPTIONS]   (backgrounds once mounted)
 */
#define FUSE_USE_VERSION 31
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define FAULT_AT (64 * 1024)

static char root[PATH_MAX];
static unsigned stall_ms = 2000;

static const char *real(const char *path, char *buf)
{
	snprintf(buf, PATH_MAX, "%s%s", root, path);
	return buf;
}

static int fault(const char *path, const char *kind, off_t off, size_t len)
{
	return strstr(path, kind) && off + (off_t)len > FAULT_AT;
}

static int ff_getattr(const char *path, struct stat *st,
		      struct fuse_file_info *fi)
{
	char b[PATH_MAX];

	if (fi)
		return fstat((int)fi->fh, st) < 0 ? -errno : 0;
	return lstat(real(path, b), st) < 0 ? -errno : 0;
}

static int ff_readdir(const char *path, void *buf, fuse_fill_dir_t fill,
		      off_t off, struct fuse_file_info *fi,
		      enum fuse_readdir_flags flags)
{
	char b[PATH_MAX];
	DIR *d = opendir(real(path, b));
	struct dirent *de;

	(void)off; (void)fi; (void)flags;
	if (!d)
		return -errno;
	while ((de = readdir(d)))
		fill(buf, de->d_name, NULL, 0, 0);
	closedir(d);
	return 0;
}

static int ff_open(const char *path, struct fuse_file_info *fi)
{
	char b[PATH_MAX];
	int fd = open(real(path, b), fi->flags & ~O_NOFOLLOW);

	if (fd < 0)
		return -errno;
	fi->fh = (uint64_t)fd;
	return 0;
}

static int ff_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	char b[PATH_MAX];
	int fd = open(real(path, b), fi->flags, mode);

	if (fd < 0)
		return -errno;
	fi->fh = (uint64_t)fd;
	return 0;
}

static int ff_read(const char *path, char *buf, size_t len, off_t off,
		   struct fuse_file_info *fi)
{
	ssize_t n;

	if (fault(path, "eio-read", off, len))
		return -EIO;
	if (fault(path, "stall", off, len))
		usleep(stall_ms * 1000);
	n = pread((int)fi->fh, buf, len, off);
	return n < 0 ? -errno : (int)n;
}

static int ff_write(const char *path, const char *buf, size_t len, off_t off,
		    struct fuse_file_info *fi)
{
	ssize_t n;

	if (fault(path, "eio-write", off, len))
		return -EIO;
	if (fault(path, "enospc", off, len))
		return -ENOSPC;
	n = pwrite((int)fi->fh, buf, len, off);
	return n < 0 ? -errno : (int)n;
}

static int ff_release(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	close((int)fi->fh);
	return 0;
}

static int ff_fsync(const char *path, int data, struct fuse_file_info *fi)
{
	(void)path;
	return (data ? fdatasync((int)fi->fh) : fsync((int)fi->fh)) < 0 ?
	       -errno : 0;
}

#define PATH_OP(name, call)						\
	static int name(const char *path)				\
	{								\
		char b[PATH_MAX];					\
		return call(real(path, b)) < 0 ? -errno : 0;		\
	}
PATH_OP(ff_unlink, unlink)
PATH_OP(ff_rmdir, rmdir)

static int ff_mkdir(const char *path, mode_t mode)
{
	char b[PATH_MAX];

	return mkdir(real(path, b), mode) < 0 ? -errno : 0;
}

static int ff_rename(const char *from, const char *to, unsigned flags)
{
	char a[PATH_MAX], b[PATH_MAX];

	return renameat2(AT_FDCWD, real(from, a), AT_FDCWD, real(to, b),
			 flags) < 0 ? -errno : 0;
}

static int ff_link(const char *from, const char *to)
{
	char a[PATH_MAX], b[PATH_MAX];

	return link(real(from, a), real(to, b)) < 0 ? -errno : 0;
}

static int ff_symlink(const char *target, const char *path)
{
	char b[PATH_MAX];

	return symlink(target, real(path, b)) < 0 ? -errno : 0;
}

static int ff_readlink(const char *path, char *buf, size_t size)
{
	char b[PATH_MAX];
	ssize_t n = readlink(real(path, b), buf, size - 1);

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static int ff_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	char b[PATH_MAX];

	if (fi)
		return fchmod((int)fi->fh, mode) < 0 ? -errno : 0;
	return chmod(real(path, b), mode) < 0 ? -errno : 0;
}

static int ff_chown(const char *path, uid_t u, gid_t g,
		    struct fuse_file_info *fi)
{
	char b[PATH_MAX];

	if (fi)
		return fchown((int)fi->fh, u, g) < 0 ? -errno : 0;
	return lchown(real(path, b), u, g) < 0 ? -errno : 0;
}

static int ff_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	char b[PATH_MAX];

	if (fi)
		return ftruncate((int)fi->fh, size) < 0 ? -errno : 0;
	return truncate(real(path, b), size) < 0 ? -errno : 0;
}

static int ff_utimens(const char *path, const struct timespec ts[2],
		      struct fuse_file_info *fi)
{
	char b[PATH_MAX];

	if (fi)
		return futimens((int)fi->fh, ts) < 0 ? -errno : 0;
	return utimensat(AT_FDCWD, real(path, b), ts, AT_SYMLINK_NOFOLLOW) < 0 ?
	       -errno : 0;
}

static int ff_statfs(const char *path, struct statvfs *s)
{
	char b[PATH_MAX];

	return statvfs(real(path, b), s) < 0 ? -errno : 0;
}

static int ff_mknod(const char *path, mode_t mode, dev_t dev)
{
	char b[PATH_MAX];

	return mknod(real(path, b), mode, dev) < 0 ? -errno : 0;
}

static const struct fuse_operations ff_ops = {
	.getattr = ff_getattr, .readdir = ff_readdir, .open = ff_open,
	.create = ff_create, .read = ff_read, .write = ff_write,
	.release = ff_release, .fsync = ff_fsync, .unlink = ff_unlink,
	.rmdir = ff_rmdir, .mkdir = ff_mkdir, .rename = ff_rename,
	.link = ff_link, .symlink = ff_symlink, .readlink = ff_readlink,
	.chmod = ff_chmod, .chown = ff_chown, .truncate = ff_truncate,
	.utimens = ff_utimens, .statfs = ff_statfs, .mknod = ff_mknod,
};

int main(int argc, char **argv)
{
	const char *ms = getenv("FAULTFS_STALL_MS");

	if (argc < 3 || !realpath(argv[1], root)) {
		fprintf(stderr, "usage: faultfs BACKING MOUNTPOINT [OPTIONS]\n");
		return 2;
	}
	if (ms && *ms)
		stall_ms = (unsigned)atoi(ms);
	argv[1] = argv[0];	/* fuse_main sees: faultfs MOUNTPOINT ... */
	return fuse_main(argc - 1, argv + 1, &ff_ops, NULL);
}
