/* SPDX-License-Identifier: MIT */
/*
 * Description: rc_copy_file (the single-file copy of the scenarios and
 * tools/bufcopy) clones with --reflink=auto (the default) on an XFS loop
 * image: the copy's extents are shared (FIEMAP), its bytes and holes the
 * source's; never does not share; always onto another filesystem fails
 * -EXDEV with a message naming the file and leaves no file, where auto
 * copies.  Root only (the loop image), skipped saying why otherwise.
 */
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sys/ioctl.h>

#include "loopfs.h"
#include "ringcp/copy.h"
#include "testutil.h"

#define MiB (1024u * 1024u)

static char mnt[128];

/* An XFS image mounted at mnt (removed at exit), or skip. */
static void need_xfs(void)
{
	char why[256];

	t_need_root();
	if (rh_loopfs_make("xfs", mnt, sizeof(mnt), why, sizeof(why)))
		SKIP("%s", why);
}

/* A 16 MiB file with 64 KiB of data at 8 MiB: the rest is a hole. */
static void sparse_src(const char *path)
{
	char *data = malloc(64 * 1024);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	unsigned i;

	ASSERT_GE(fd, 0);
	for (i = 0; i < 64 * 1024; i++)
		data[i] = (char)(i * 2654435761u >> 11);
	ASSERT_EQ(pwrite(fd, data, 64 * 1024, 8 * MiB), 64 * 1024);
	ASSERT_EQ(ftruncate(fd, 16 * MiB), 0);
	close(fd);
	free(data);
}

/* Does path's first data extent say it is shared (FIEMAP)? */
static bool shared(const char *path)
{
	/* one extent after the header (a flexible array member) */
	uint64_t buf[(sizeof(struct fiemap) +
		      sizeof(struct fiemap_extent)) / 8 + 1] = { 0 };
	struct fiemap *fm = (struct fiemap *)buf;
	int fd = open(path, O_RDONLY);
	int ret;

	ASSERT_GE(fd, 0);
	fm->fm_length = ~0ull;
	fm->fm_flags = FIEMAP_FLAG_SYNC;
	fm->fm_extent_count = 1;
	ret = ioctl(fd, FS_IOC_FIEMAP, fm);
	close(fd);
	ASSERT_EQ(ret, 0);
	return fm->fm_mapped_extents &&
	       (fm->fm_extents[0].fe_flags & FIEMAP_EXTENT_SHARED);
}

/* Same size and bytes. */
static void expect_same(const char *a, const char *b)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "cmp -s '%s' '%s'", a, b);
	EXPECT_EQ(system(cmd), 0);
}

static int copy(const char *src, const char *dst, enum rc_reflink mode,
		struct rc_copy_result *res)
{
	struct rc_copy_opts o = { .reflink = mode };
	struct rc_ring *r = t_make_ring(64, NULL, NULL);
	int ret = rc_copy_file(r, src, dst, &o, res);

	rc_ring_destroy(r, 5000);
	return ret;
}

TEST(auto_clones_keeping_bytes_and_holes)
{
	char src[256], dst[256];
	struct rc_copy_result res;
	struct stat st;

	need_xfs();
	snprintf(src, sizeof(src), "%s/src", mnt);
	snprintf(dst, sizeof(dst), "%s/dst", mnt);
	sparse_src(src);
	ASSERT_EQ(copy(src, dst, RC_REFLINK_DEFAULT, &res), 0);
	EXPECT_EQ(res.bytes, 16 * MiB);
	EXPECT_TRUE(shared(dst));
	expect_same(src, dst);
	ASSERT_EQ(stat(dst, &st), 0);
	EXPECT_LE(st.st_blocks * 512, 1 * MiB);	/* the hole stayed one */
}

TEST(never_does_not_share)
{
	char src[256], dst[256];
	struct rc_copy_result res;

	need_xfs();
	snprintf(src, sizeof(src), "%s/src", mnt);
	snprintf(dst, sizeof(dst), "%s/dst", mnt);
	sparse_src(src);
	ASSERT_EQ(copy(src, dst, RC_REFLINK_NEVER, &res), 0);
	EXPECT_FALSE(shared(dst));
	expect_same(src, dst);
}

TEST(always_across_filesystems_fails_and_leaves_nothing_auto_copies)
{
	char src[256], dir[] = "/var/tmp/rc-clone-XXXXXX", dst[64];
	struct rc_copy_result res;

	need_xfs();
	snprintf(src, sizeof(src), "%s/src", mnt);
	sparse_src(src);
	ASSERT_TRUE(mkdtemp(dir) != NULL);
	snprintf(dst, sizeof(dst), "%s/dst", dir);
	EXPECT_EQ(copy(src, dst, RC_REFLINK_ALWAYS, &res), -EXDEV);
	EXPECT_TRUE(strstr(res.msg, "cannot clone (--reflink=always)") &&
		    strstr(res.msg, dst) &&
		    strstr(res.msg, "Invalid cross-device link"));
	EXPECT_EQ(access(dst, F_OK), -1);
	ASSERT_EQ(copy(src, dst, RC_REFLINK_AUTO, &res), 0);
	expect_same(src, dst);
	unlink(dst);
	rmdir(dir);
}
