/* SPDX-License-Identifier: MIT */
/*
 * DATA by clone (--reflink, cp's meaning): a job whose destination file is
 * open tries FICLONE before the pump, and a pair of filesystems that
 * answered "never here" (EXDEV, EOPNOTSUPP) is remembered for the run, so
 * a tree of 100,000 files onto ext4 makes one failing call, not 100,000.
 */
#include <errno.h>
#include <sys/stat.h>

#include "tree_int.h"

/* The device d's destination directory is on (0 if fstat fails). */
static dev_t rc_dir_dst_dev(struct rc_dir *d)
{
	struct stat st;

	if (!d->dst_dev && fstat(d->dst_fd, &st) == 0)
		d->dst_dev = st.st_dev;
	return d->dst_dev;
}

/* A remembered failure of the pair, or 0. */
static int rc_noclone_find(const struct rc_tree *t, dev_t src, dev_t dst)
{
	unsigned i;

	for (i = 0; i < t->n_noclone; i++)
		if (t->noclone[i].src == src && t->noclone[i].dst == dst)
			return t->noclone[i].err;
	return 0;
}

static void rc_noclone_add(struct rc_tree *t, dev_t src, dev_t dst, int err)
{
	unsigned i = t->n_noclone;

	if (i == RC_TREE_NOCLONE_MAX)	/* that many filesystems: the last */
		i--;			/* slot turns over */
	else
		t->n_noclone++;
	t->noclone[i].src = src;
	t->noclone[i].dst = dst;
	t->noclone[i].err = err;
}

int rc_tree_clone(struct rc_tree *t, struct rc_dir *d, dev_t src_dev,
		  int src_fd, int dst_fd, bool cache)
{
	enum rc_reflink mode = rc_copy_reflink(&t->o->copy);
	dev_t dst_dev = cache ? rc_dir_dst_dev(d) : 0;
	int err = 0;

	if (mode == RC_REFLINK_NEVER)
		return 1;
	if (dst_dev)
		err = rc_noclone_find(t, src_dev, dst_dev);
	if (!err) {
		err = rc_clone_fd(src_fd, dst_fd);
		if (!err) {
			t->st->cloned++;
			return 0;
		}
		if (dst_dev && rc_clone_never_here(err))
			rc_noclone_add(t, src_dev, dst_dev, err);
	}
	return mode == RC_REFLINK_ALWAYS ? err : 1;
}
