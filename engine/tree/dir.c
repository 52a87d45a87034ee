/* SPDX-License-Identifier: MIT */
/*
 * Directory nodes.  A node holds its source and destination fds
 * (everything below is reached relative to them) and a reference count:
 * the walk's listing, each child item in flight, each child directory.
 * At zero it is done: what interrupted runs left in it goes, its
 * metadata is applied (after its contents, as rsync does), a staging
 * root is renamed into place, and its parent is put.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tree_int.h"

struct rc_dir *rc_dir_new(struct rc_dir *parent, int src_fd, int dst_fd,
			  const char *src_path, const char *dst_path,
			  const char *rel)
{
	struct rc_dir *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->src_path = strdup(src_path);
	d->dst_path = strdup(dst_path);
	d->rel = strdup(rel);
	if (!d->src_path || !d->dst_path || !d->rel) {
		free(d->src_path);
		free(d->dst_path);
		free(d->rel);
		free(d);
		return NULL;
	}
	d->parent = parent;
	if (parent)
		rc_dir_get(parent);
	d->src_fd = src_fd;
	d->dst_fd = dst_fd;
	d->refs = 1;
	d->apply_meta = true;
	return d;
}

void rc_dir_set_new_gid(const struct rc_tree *t, struct rc_dir *d)
{
	struct stat st;

	d->new_gid = t->egid;
	if (d->dst_fd >= 0 && fstat(d->dst_fd, &st) == 0 &&
	    (st.st_mode & S_ISGID))
		d->new_gid = st.st_gid;
}

void rc_dir_get(struct rc_dir *d)
{
	d->refs++;
}

void rc_dir_put(struct rc_tree *t, struct rc_dir *d)
{
	while (d && --d->refs == 0) {
		struct rc_dir *parent = d->parent;
		const char *what = NULL;
		int ret;

		/* before its times are set */
		rc_stage_drop_leftovers(t, d);
		if (d->apply_meta && d->dst_fd >= 0 && !t->o->dry_run) {
			struct stat cur;
			bool known = fstat(d->dst_fd, &cur) == 0;

			/* without -p an existing directory keeps its mode */
			ret = rc_meta_apply_fd(t, d->src_fd, d->dst_fd, &d->st,
					       known ? &cur : NULL,
					       d->fresh || d->staged ||
					       t->o->perms, &what);
			if (ret)
				rc_tree_err(t, ret, "cannot %s '%s'", what,
					    d->dst_path);
		}
		/* its entries durable (also an operand's holder) */
		if (t->o->copy.fsync && d->dst_fd >= 0 && !t->o->dry_run &&
		    fsync(d->dst_fd) < 0)
			rc_tree_err(t, -errno, "cannot sync '%s'",
				    d->dst_path[0] ? d->dst_path : ".");
		/* DST made for "SRC" operands: a plain new directory, as
		 * rsync makes it (0700 while it was filled) */
		if (!parent && !d->apply_meta && d->fresh && d->dst_fd >= 0 &&
		    !t->o->dry_run)
			fchmod(d->dst_fd, 0777 & ~t->o->copy.umask);
		rc_stage_finish(t, d, parent);
		if (d->src_fd >= 0)
			close(d->src_fd);
		if (d->dst_fd >= 0)
			close(d->dst_fd);
		free(d->src_path);
		free(d->dst_path);
		free(d->rel);
		free(d->stage_tmp);
		free(d->stage_final);
		free(d->leftovers);
		if (d->stage_hold)
			rc_dir_put(t, d->stage_hold);
		free(d);
		d = parent;
	}
}

