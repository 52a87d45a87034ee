/* SPDX-License-Identifier: MIT */
/*
 * One entry the walk listed (or a file operand): skipped if up to date
 * (rsync's quick check), listed in a dry run, given a job if it is a
 * regular file, made at once if it is any other kind.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "tree_int.h"

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
	if (t->o->cp) {
		struct rc_cp_dst cd;

		if (rc_cp_dst(t, d, dst_name, &cd) <= 0) {
			rc_dir_put(t, d);
			return;
		}
		return rc_job_start(t, d, name, dst_name, &cd);
	}
	rc_job_start(t, d, name, dst_name, NULL);
}

/* Any other entry: stat it and make it, or skip it. */
void rc_tree_entry(struct rc_tree *t, struct rc_dir *d, const char *name,
		   const char *dst_name, unsigned char type)
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

