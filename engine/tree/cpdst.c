/* SPDX-License-Identifier: MIT */
/*
 * cp's rules for the destination of a file copied in single-file mode
 * (no tree option): -n leaves an existing file alone, --remove-destination
 * removes it first, a directory or a dangling symlink in the way is an
 * error, and an existing file (through a symlink, as cp writes through
 * one) is overwritten keeping what cp keeps: its mode, owner, group, hard
 * links and extended attributes.
 *
 * How: a file with one name, no extended attributes, in a directory we may
 * write, whose owner and group we can give, is replaced atomically: the
 * copy is written unnamed, given the old file's owner and mode, and
 * renamed over it, so that a failure, a signal or SIGKILL leaves the old
 * file whole (what ringcp promises, and cp does not).  Any other existing
 * file is written in place (opened with O_TRUNC, as cp does): renaming
 * would break its hard links, drop its xattrs or ACLs, or give it our
 * owner; that file holds a partial copy if the copy fails, as with cp.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "tree_int.h"

/* Must the existing file d/name (lst: lstat, st: stat) be written in place? */
static bool rc_cp_inplace(const struct rc_tree *t, const struct rc_dir *d,
			  const char *name, const struct stat *lst,
			  const struct stat *st)
{
	char proc[64 + NAME_MAX];

	if (S_ISLNK(lst->st_mode) || !S_ISREG(st->st_mode))
		return true;	/* written through the symlink, as cp */
	if (st->st_nlink > 1)
		return true;	/* its other names see the new data */
	if (!t->root && (st->st_uid != t->euid || st->st_gid != d->new_gid))
		return true;	/* an owner or group we may not give */
	if (faccessat(d->dst_fd, ".", W_OK, AT_EACCESS) < 0)
		return true;	/* no new name can go in the directory */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d/%s", d->dst_fd, name);
	return llistxattr(proc, NULL, 0) != 0;	/* xattrs, ACLs; or unknown */
}

int rc_cp_dst(struct rc_tree *t, struct rc_dir *d, const char *dst_name,
	      struct rc_cp_dst *cd)
{
	const char *path = rc_tree_path(d->dst_path, dst_name);
	struct stat lst;
	int ret;

	memset(cd, 0, sizeof(*cd));
	if (fstatat(d->dst_fd, dst_name, &lst, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 1;	/* a new file */
		ret = -errno;
		rc_tree_err(t, ret, "cannot stat '%s'", path);
		return ret;
	}
	if (t->o->no_clobber) {
		t->st->skipped++;
		return 0;
	}
	if (t->o->remove_destination && !S_ISDIR(lst.st_mode)) {
		if (unlinkat(d->dst_fd, dst_name, 0) == 0)
			return 1;
		ret = -errno;
		rc_tree_err(t, ret, "cannot remove '%s'", path);
		return ret;
	}
	if (fstatat(d->dst_fd, dst_name, &cd->st, 0) < 0) {
		ret = -errno;
		if (ret == -ENOENT)	/* cp: not through a dangling one */
			rc_tree_err(t, 0, "not writing through dangling "
				    "symlink '%s'", path);
		else
			rc_tree_err(t, ret, "cannot stat '%s'", path);
		return ret;
	}
	if (S_ISDIR(cd->st.st_mode)) {
		rc_tree_err(t, 0, "cannot overwrite directory '%s' with "
			    "non-directory", path);
		return -EISDIR;
	}
	if (S_ISFIFO(cd->st.st_mode) || S_ISSOCK(cd->st.st_mode)) {
		rc_tree_err(t, 0, "cannot overwrite non-regular file '%s'",
			    path);
		return -EINVAL;
	}
	cd->exists = true;
	cd->inplace = rc_cp_inplace(t, d, dst_name, &lst, &cd->st);
	return 1;
}
