// SPDX-License-Identifier: MIT
/*
 * floor: the kernel work of a copy alone, the bench's floor (issue 15).
 *
 *   floor [--rw] SRC DST
 *
 * Makes under DST (an existing directory) the directories, files and
 * symlinks of the tree SRC (or, when SRC holds one file, that file) and
 * writes every file's bytes, with the fewest calls a copy can make and on
 * both cores: one thread walks SRC (getdents through readdir, one fstatat
 * per file for its size, mkdirat and symlinkat as it goes); two threads
 * take the files (a file of more than SPLIT bytes in two halves, one per
 * thread) and copy each with openat, openat(O_CREAT), one copy_file_range
 * (the kernel copies the bytes once, page cache to page cache; a
 * filesystem that can clone, XFS or btrfs, clones instead, as cp does
 * there), close, close.  Where copy_file_range is refused, and with
 * --rw, pread and pwrite of up to BUF bytes at a time instead (the bytes
 * through user space, as ringcp's read/write path).  No metadata (modes, owners,
 * times, xattrs), no checks, no fsync, no error handling beyond exiting
 * 1 on the first failed call: it is a yardstick, not a tool, and what
 * ringcp's time is divided by in REPORT.md.  Built by `make` (tools/).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define NTHREADS	2
#define BUF		(8u << 20)
#define SPLIT		(16ull << 20)

struct item {
	int sdir, ddir;		/* the directories' fds (kept open) */
	char *name;
	off_t off, len;		/* the part of the file this item copies */
};

static struct item *items;
static size_t nitems, capitems;
static atomic_size_t next_item;
static int use_rw;

static void die(const char *what, const char *path)
{
	fprintf(stderr, "floor: %s '%s': %s\n", what, path, strerror(errno));
	exit(1);
}

static void push(int sdir, int ddir, const char *name, off_t off, off_t len)
{
	if (nitems == capitems) {
		capitems = capitems ? 2 * capitems : 4096;
		items = realloc(items, capitems * sizeof(*items));
		if (!items)
			die("realloc", name);
	}
	items[nitems++] = (struct item){ sdir, ddir, strdup(name), off, len };
}

/* queue a file: in two halves when it is large, so both cores copy it */
static void add_file(int sdir, int ddir, const char *name)
{
	struct stat st;

	if (fstatat(sdir, name, &st, AT_SYMLINK_NOFOLLOW))
		die("stat", name);
	if ((unsigned long long)st.st_size > SPLIT) {
		off_t half = st.st_size / 2 & ~(off_t)(BUF - 1);

		push(sdir, ddir, name, 0, half);
		push(sdir, ddir, name, half, st.st_size - half);
	} else {
		push(sdir, ddir, name, 0, st.st_size);
	}
}

/* walk the directory SDIR (its copy DDIR exists): files queued,
 * directories and symlinks made here; the fds stay open for the workers */
static void walk(int sdir, int ddir)
{
	DIR *d = fdopendir(dup(sdir));
	struct dirent *e;
	char link[4096];

	if (!d)
		die("opendir", ".");
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (e->d_type == DT_DIR) {
			int s, t;

			if (mkdirat(ddir, e->d_name, 0755) && errno != EEXIST)
				die("mkdir", e->d_name);
			s = openat(sdir, e->d_name, O_RDONLY | O_DIRECTORY);
			t = openat(ddir, e->d_name, O_RDONLY | O_DIRECTORY);
			if (s < 0 || t < 0)
				die("open dir", e->d_name);
			walk(s, t);
		} else if (e->d_type == DT_LNK) {
			ssize_t n = readlinkat(sdir, e->d_name, link, sizeof(link) - 1);

			if (n < 0)
				die("readlink", e->d_name);
			link[n] = 0;
			if (symlinkat(link, ddir, e->d_name))
				die("symlink", e->d_name);
		} else if (e->d_type == DT_REG) {
			add_file(sdir, ddir, e->d_name);
		}
	}
	closedir(d);
}

/* bytes [off, end) of IN into OUT at the same offsets through BUF */
static void copy_rw(int in, int out, off_t off, off_t end, char *buf,
		    const char *name)
{
	while (off < end) {
		size_t want = end - off < BUF ? end - off : BUF;
		ssize_t n = pread(in, buf, want, off);

		if (n < 0)
			die("read", name);
		if (!n)
			break;
		if (pwrite(out, buf, n, off) != n)
			die("write", name);
		off += n;
	}
}

static void copy_item(const struct item *it, char *buf)
{
	int in = openat(it->sdir, it->name, O_RDONLY);
	int out = openat(it->ddir, it->name, O_WRONLY | O_CREAT, 0644);
	loff_t off = it->off, end = it->off + it->len, o_in, o_out;
	ssize_t n;

	if (in < 0 || out < 0)
		die("open", it->name);
	while (!use_rw && off < end) {
		o_in = o_out = off;
		n = copy_file_range(in, &o_in, out, &o_out, end - off, 0);
		if (n < 0 && off == it->off && (errno == EXDEV || errno == EINVAL ||
						 errno == EOPNOTSUPP || errno == ENOSYS))
			break;	/* refused: read and write instead */
		if (n < 0)
			die("copy_file_range", it->name);
		if (!n)
			break;
		off += n;
	}
	copy_rw(in, out, off, end, buf, it->name);
	close(in);
	close(out);
}

static void *worker(void *arg)
{
	char *buf = malloc(BUF);
	size_t i;

	(void)arg;
	if (!buf)
		die("malloc", "buffer");
	while ((i = atomic_fetch_add(&next_item, 1)) < nitems)
		copy_item(&items[i], buf);
	free(buf);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[NTHREADS];
	struct rlimit rl;
	int s, d, i;

	if (argc == 4 && !strcmp(argv[1], "--rw")) {
		use_rw = 1;
		argv++;
		argc--;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: floor [--rw] SRC DST (DST an existing directory)\n");
		return 2;
	}
	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	d = open(argv[2], O_RDONLY | O_DIRECTORY);
	if (d < 0)
		die("open", argv[2]);
	s = open(argv[1], O_RDONLY | O_DIRECTORY);
	if (s < 0)
		die("open", argv[1]);
	walk(s, d);
	for (i = 0; i < NTHREADS; i++)
		if (pthread_create(&t[i], NULL, worker, NULL))
			die("pthread_create", "worker");
	for (i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	return 0;
}
