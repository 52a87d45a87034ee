/* SPDX-License-Identifier: MIT */
/*
 * Metadata, set through file descriptors (fchown, fchmod, fsetxattr,
 * futimens), never through a path a swapped symlink could redirect (the
 * lesson of CVE-2024-12747); and the non-regular files (symlinks, devices,
 * FIFOs, sockets), made relative to their directory's fd.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "tree_int.h"

#define RC_ACL_ACCESS	"system.posix_acl_access"
#define RC_ACL_DEFAULT	"system.posix_acl_default"

mode_t rc_meta_mode(const struct rc_tree *t, mode_t src_mode)
{
	if (t->o->perms)
		return src_mode & 07777;
	return src_mode & 0777 & ~t->o->copy.umask;
}

/* Is this attribute copied under the options? */
static bool rc_xattr_wanted(const struct rc_tree *t, const char *name)
{
	bool acl = !strcmp(name, RC_ACL_ACCESS) || !strcmp(name, RC_ACL_DEFAULT);

	if (acl)
		return t->o->acls;
	if (!t->o->xattrs)
		return false;
	/* like rsync: trusted.* and security.* only as root */
	if (!t->root && (!strncmp(name, "trusted.", 8) ||
			 !strncmp(name, "security.", 9)))
		return false;
	return !strncmp(name, "system.", 7) ? false : true;
}

/* Copy the wanted extended attributes (and ACLs) of src_fd to fd. */
static int rc_meta_xattrs(struct rc_tree *t, int src_fd, int fd)
{
	char *names = NULL, *val = NULL, *n;
	ssize_t len, vlen;
	size_t vcap = 0;
	int ret = 0;

	len = flistxattr(src_fd, NULL, 0);
	if (len <= 0)
		return len < 0 && errno != ENOTSUP ? -errno : 0;
	names = malloc((size_t)len + 1);
	if (!names)
		return -ENOMEM;
	len = flistxattr(src_fd, names, (size_t)len);
	if (len < 0) {
		ret = -errno;
		goto out;
	}
	for (n = names; n < names + len; n += strlen(n) + 1) {
		if (!rc_xattr_wanted(t, n))
			continue;
		vlen = fgetxattr(src_fd, n, NULL, 0);
		if (vlen < 0) {
			ret = errno == ENODATA ? 0 : -errno;
			if (ret)
				goto out;
			continue;
		}
		if ((size_t)vlen + 1 > vcap) {
			char *v = realloc(val, (size_t)vlen + 1);

			if (!v) {
				ret = -ENOMEM;
				goto out;
			}
			val = v;
			vcap = (size_t)vlen + 1;
		}
		vlen = fgetxattr(src_fd, n, val, vcap);
		if (vlen < 0 || fsetxattr(fd, n, val, (size_t)vlen, 0) < 0) {
			ret = -errno;
			goto out;
		}
	}
out:
	free(names);
	free(val);
	return ret;
}

int rc_meta_apply_fd(struct rc_tree *t, int src_fd, int fd,
		     const struct stat *st, const struct stat *cur,
		     bool set_mode, const char **what)
{
	const struct rc_tree_opts *o = t->o;
	uid_t uid = o->owner && t->root ? st->st_uid : (uid_t)-1;
	gid_t gid = o->group ? st->st_gid : (gid_t)-1;
	mode_t mode = rc_meta_mode(t, st->st_mode);
	bool chowned = false;

	if (cur && uid == cur->st_uid)
		uid = (uid_t)-1;
	if (cur && gid == cur->st_gid)
		gid = (gid_t)-1;
	if (uid != (uid_t)-1 || gid != (gid_t)-1) {
		if (fchown(fd, uid, gid) == 0)
			chowned = true;
		else if (t->root || errno != EPERM) {
			*what = "set owner of";
			return -errno;
		}
		/* not root: an owner or group we may not give is skipped
		 * silently, as rsync does */
	}
	/* chown clears set-user-ID and set-group-ID: set the mode after */
	if (set_mode && (!cur || (cur->st_mode & 07777) != mode ||
			 (chowned && (mode & 06000)))) {
		if (fchmod(fd, mode) < 0) {
			*what = "set permissions of";
			return -errno;
		}
	}
	if ((o->xattrs || o->acls) && src_fd >= 0) {
		int ret = rc_meta_xattrs(t, src_fd, fd);

		if (ret) {
			*what = "copy extended attributes to";
			return ret;
		}
	}
	if (o->times) {
		struct timespec ts[2] = { st->st_atim, st->st_mtim };

		if (futimens(fd, ts) < 0) {
			*what = "set times of";
			return -errno;
		}
	}
	return 0;
}

/* Make the special file (or symlink) at dfd/name. */
static int rc_make_special(int dfd, const char *name, const struct stat *st,
			   const char *target)
{
	int ret;

	if (S_ISLNK(st->st_mode))
		ret = symlinkat(target, dfd, name);
	else
		ret = mknodat(dfd, name, (st->st_mode & S_IFMT) | 0600,
			      S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode) ?
			      st->st_rdev : 0);
	return ret < 0 ? -errno : 0;
}

/*
 * Create it under a temporary name, set its metadata, and rename it over
 * the final name: what is at the final name is always whole.
 */
static int rc_place_special(struct rc_tree *t, struct rc_dir *d,
			    const char *name, const struct stat *st,
			    const char *target, const char **what)
{
	const struct rc_tree_opts *o = t->o;
	char tmp[NAME_MAX + 1];
	int ret, tries;

	for (tries = 0; tries < 100; tries++) {
		ret = rc_temp_name(name, tmp, sizeof(tmp));
		if (ret)
			return ret;
		ret = rc_make_special(d->dst_fd, tmp, st, target);
		if (ret != -EEXIST)
			break;
	}
	*what = "create";
	if (ret)
		return ret;
	if ((o->owner && t->root) || o->group) {
		uid_t uid = o->owner && t->root ? st->st_uid : (uid_t)-1;
		gid_t gid = o->group ? st->st_gid : (gid_t)-1;

		if (fchownat(d->dst_fd, tmp, uid, gid, AT_SYMLINK_NOFOLLOW) &&
		    (t->root || errno != EPERM)) {
			*what = "set owner of";
			ret = -errno;
			goto err;
		}
	}
	if (!S_ISLNK(st->st_mode) &&
	    fchmodat(d->dst_fd, tmp, rc_meta_mode(t, st->st_mode), 0) < 0) {
		*what = "set permissions of";
		ret = -errno;
		goto err;
	}
	if (o->times) {
		struct timespec ts[2] = { st->st_atim, st->st_mtim };

		if (utimensat(d->dst_fd, tmp, ts, AT_SYMLINK_NOFOLLOW) < 0) {
			*what = "set times of";
			ret = -errno;
			goto err;
		}
	}
	if (renameat(d->dst_fd, tmp, d->dst_fd, name) < 0) {
		*what = "create";
		ret = -errno;
		goto err;
	}
	return 0;
err:
	unlinkat(d->dst_fd, tmp, 0);
	return ret;
}

/*
 * The quick check of a non-regular entry: the destination already is the
 * same kind of thing (same symlink target, same device), with the mode,
 * owner and time the options would give it.
 */
static bool rc_special_up_to_date(struct rc_tree *t, struct rc_dir *d,
				  const char *name, const struct stat *st,
				  const char *target)
{
	const struct rc_tree_opts *o = t->o;
	struct stat ds;

	if (d->fresh || d->dst_fd < 0 ||
	    fstatat(d->dst_fd, name, &ds, AT_SYMLINK_NOFOLLOW) < 0 ||
	    (ds.st_mode & S_IFMT) != (st->st_mode & S_IFMT))
		return false;
	if (S_ISLNK(st->st_mode)) {
		char buf[PATH_MAX + 1];
		ssize_t n = readlinkat(d->dst_fd, name, buf, sizeof(buf) - 1);

		if (n < 0 || (size_t)n != strlen(target) ||
		    memcmp(buf, target, (size_t)n))
			return false;
	} else if ((S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)) &&
		   ds.st_rdev != st->st_rdev)
		return false;
	else if ((ds.st_mode & 07777) != rc_meta_mode(t, st->st_mode))
		return false;
	if ((o->owner && t->root && ds.st_uid != st->st_uid) ||
	    (o->group && ds.st_gid != st->st_gid))
		return false;
	return !o->times ||
	       (ds.st_mtim.tv_sec == st->st_mtim.tv_sec &&
		ds.st_mtim.tv_nsec == st->st_mtim.tv_nsec);
}

/*
 * --link-dest: is DIR/rel the same as d/name (a regular file: size,
 * mtime; a symlink: its target; and what -p -o -g keep)?  Then it is
 * linked in place of a copy.  Returns true if linked; false to copy (also
 * when the link fails: another filesystem, too many links).
 */
bool rc_link_dest(struct rc_tree *t, struct rc_dir *d, const char *name,
		  const char *dst_name, const char *target)
{
	const struct rc_tree_opts *o = t->o;
	char *rel = rc_path_join(d->rel, dst_name), tmp[NAME_MAX + 1];
	char buf[PATH_MAX];
	struct stat s, l;
	ssize_t n;
	bool same;

	same = rel && t->ld_fd >= 0 && d->dst_fd >= 0 &&
	       fstatat(t->ld_fd, rel, &l, AT_SYMLINK_NOFOLLOW) == 0 &&
	       fstatat(d->src_fd, name, &s, AT_SYMLINK_NOFOLLOW) == 0 &&
	       (l.st_mode & S_IFMT) == (s.st_mode & S_IFMT) &&
	       (S_ISREG(s.st_mode) || (S_ISLNK(s.st_mode) && target)) &&
	       l.st_size == s.st_size &&
	       (!o->perms || S_ISLNK(s.st_mode) ||
		(l.st_mode & 07777) == (s.st_mode & 07777)) &&
	       (!o->owner || !t->root || l.st_uid == s.st_uid) &&
	       (!o->group || l.st_gid == s.st_gid);
	if (same && S_ISREG(s.st_mode))
		same = l.st_mtim.tv_sec == s.st_mtim.tv_sec &&
		       l.st_mtim.tv_nsec == s.st_mtim.tv_nsec;
	else if (same) {
		n = readlinkat(t->ld_fd, rel, buf, sizeof(buf) - 1);
		same = n >= 0 && (size_t)n == strlen(target) &&
		       !memcmp(buf, target, (size_t)n);
	}
	if (same && !o->dry_run) {
		/* under a temporary name, renamed over what is there */
		same = rc_temp_name(dst_name, tmp, sizeof(tmp)) == 0 &&
		       linkat(t->ld_fd, rel, d->dst_fd, tmp, 0) == 0;
		if (same && renameat(d->dst_fd, tmp, d->dst_fd, dst_name) < 0) {
			unlinkat(d->dst_fd, tmp, 0);
			same = false;
		}
	}
	free(rel);
	if (same)
		t->st->hard_links++;
	return same;
}

/* -v, -i: the line of a symlink ("name -> target"), device or special */
static void rc_meta_item(struct rc_tree *t, struct rc_dir *d, const char *name,
			 const struct stat *st, const char *target)
{
	char code[12], *suffix = NULL;
	char x = S_ISLNK(st->st_mode) ? 'L' :
		 S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode) ? 'D' : 'S';
	struct stat ds;
	bool old = !d->fresh && d->dst_fd >= 0 &&
		   fstatat(d->dst_fd, name, &ds, AT_SYMLINK_NOFOLLOW) == 0 &&
		   (ds.st_mode & S_IFMT) == (st->st_mode & S_IFMT);

	if (t->o->quiet || (!t->o->verbose && !t->o->itemize))
		return;
	rc_tree_item_code(t, code, 'c', x, st, old ? &ds : NULL);
	if (target && asprintf(&suffix, " -> %s", target) < 0)
		suffix = NULL;
	rc_tree_item(t, d, name, suffix ? suffix : "", code);
	free(suffix);
}

int rc_meta_copy_special(struct rc_tree *t, struct rc_dir *d,
			 const char *name, const struct stat *st)
{
	const struct rc_tree_opts *o = t->o;
	const char *path = rc_tree_path(d->src_path, name), *what = "create";
	char *target = NULL;
	bool want;
	int ret;

	if (S_ISLNK(st->st_mode))
		want = o->links;
	else if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
		want = o->devices;
	else
		want = o->specials;
	if (!want) {
		if (!o->quiet)
			fprintf(stderr, "ringcp: skipping non-regular file "
				"'%s'\n", path);
		t->st->skipped++;
		return 1;
	}
	if (S_ISLNK(st->st_mode)) {
		size_t cap = (size_t)st->st_size + 2;
		ssize_t n;

		target = malloc(cap);
		if (!target)
			return -ENOMEM;
		n = readlinkat(d->src_fd, name, target, cap);
		if (n < 0 || (size_t)n >= cap) {
			ret = n < 0 ? -errno : -EAGAIN;
			if (ret == -ENOENT) {
				rc_tree_vanished(t, path);
				free(target);
				return ret;
			}
			rc_tree_err(t, ret, "cannot read symlink '%s'", path);
			free(target);
			return ret;
		}
		target[n] = '\0';
	}
	if (rc_special_up_to_date(t, d, name, st, target)) {
		free(target);
		t->st->skipped++;
		return 0;
	}
	if (o->link_dest && S_ISLNK(st->st_mode) &&
	    rc_link_dest(t, d, name, name, target)) {
		free(target);
		return 0;
	}
	rc_meta_item(t, d, name, st, target);
	if (o->dry_run) {
		free(target);
		return 0;
	}
	ret = rc_place_special(t, d, name, st, target, &what);
	free(target);
	if (ret) {
		rc_tree_err(t, ret, "cannot %s '%s'", what,
			    rc_tree_path(d->dst_path, name));
		return ret;
	}
	if (S_ISLNK(st->st_mode))
		t->st->symlinks++;
	else
		t->st->specials++;
	return 0;
}
