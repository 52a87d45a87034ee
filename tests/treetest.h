/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the tree copy's tests: scratch directories, files of a
 * pattern, a tree copy with the options the tests share, file checks.
 */
#ifndef T_TREETEST_H
#define T_TREETEST_H

#include <sys/stat.h>

#include "ringcp/tree.h"
#include "testutil.h"

/* A fresh scratch directory; path is at least 64 bytes. */
static inline void t_scratch_dir(char *path, size_t size)
{
	snprintf(path, size, "/tmp/rc-tree-XXXXXX");
	ASSERT_TRUE(mkdtemp(path) != NULL);
}

/* Remove a scratch directory and everything in it. */
static inline void t_scratch_remove(const char *path)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd))
		TH_LOG("could not remove %s", path);
}

/* dir/name (dir made first if missing) with len bytes of byte fill. */
static inline void t_tree_file(const char *dir, const char *name, size_t len,
			       int fill)
{
	char path[600];
	char *buf = malloc(len ? len : 1);
	int fd;

	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ASSERT_GE(fd, 0);
	memset(buf, fill, len);
	ASSERT_EQ(write(fd, buf, len), (ssize_t)len);
	free(buf);
	close(fd);
}

/* The size of path, -1 if it does not exist; *fill gets its first byte. */
static inline long long t_file_size(const char *path, int *fill)
{
	struct stat st;
	unsigned char c = 0;
	int fd;

	if (lstat(path, &st) < 0)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (read(fd, &c, 1) != 1)
			c = 0;
		close(fd);
	}
	if (fill)
		*fill = c;
	return (long long)st.st_size;
}

/* rc_tree_opts for a quiet -r copy of regular files. */
static inline struct rc_tree_opts t_tree_opts(unsigned files_in_flight,
					      unsigned queue_depth,
					      uint32_t block_size)
{
	struct rc_tree_opts o = {
		.recursive = true,
		.quiet = true,
		.files_in_flight = files_in_flight,
		.copy = { .queue_depth = queue_depth,
			  .block_size = block_size },
	};

	return o;
}

#endif
