/* SPDX-License-Identifier: MIT */
/*
 * One SRC operand, with rsync's trailing-slash rule: "SRC/" copies SRC's
 * contents into DST (and SRC's metadata onto DST), "SRC" copies SRC itself
 * into DST or, for a single file operand, to the name DST.  The usage
 * errors (a directory into itself, a file onto itself) are found here
 * before anything is copied.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tree_int.h"


/* Split path into its directory ("" for none) and base name. */
static void rc_split(const char *path, char *dir, size_t dsize,
		     const char **base)
{
	const char *end = path + strlen(path), *slash;

	while (end > path + 1 && end[-1] == '/')
		end--;
	for (slash = end; slash > path && slash[-1] != '/'; slash--)
		;
	*base = slash;
	if (slash == path)
		snprintf(dir, dsize, "%s", "");
	else if (slash == path + 1)
		snprintf(dir, dsize, "%s", "/");
	else
		snprintf(dir, dsize, "%.*s", (int)(slash - path - 1), path);
}

static int rc_open_dir(const char *path)
{
	int fd = open(path[0] ? path : ".", O_RDONLY | O_DIRECTORY |
		      O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/*
 * realpath of path; for a path that does not exist (yet), realpath of its
 * deepest existing ancestor with the rest appended.  NULL on failure.
 */
static char *rc_resolve(const char *path)
{
	char head[PATH_MAX], *rd, *out;
	const char *base;
	size_t n;

	out = realpath(path, NULL);
	if (out || errno != ENOENT)
		return out;
	rc_split(path, head, sizeof(head), &base);
	rd = rc_resolve(head[0] ? head : ".");
	if (!rd)
		return NULL;
	n = strlen(rd) + strlen(base) + 2;
	out = malloc(n);
	if (out)
		snprintf(out, n, "%s%s%.*s", rd, strcmp(rd, "/") ? "/" : "",
			 (int)strcspn(base, "/"), base);
	free(rd);
	return out;
}

/* Is the copy's target the source, or inside it? (usage errors) */
static int rc_check_overlap(const char *src, const char *target)
{
	char *s = rc_resolve(src), *d = rc_resolve(target);
	int ret = 0;
	size_t n;

	if (s && d) {
		n = strlen(s);
		if (!strcmp(s, d)) {
			fprintf(stderr, "ringcp: source '%s' and destination "
				"'%s' are the same\n", src, target);
			ret = -EINVAL;
		} else if (!strncmp(s, d, n) && (d[n] == '/' || n == 1)) {
			fprintf(stderr, "ringcp: cannot copy '%s' into itself, "
				"'%s'\n", src, target);
			ret = -EINVAL;
		}
	}
	free(s);
	free(d);
	return ret;
}

/*
 * --link-dest=DIR: open DIR (relative to DST, as rsync) for this
 * operand's files.  A DIR that cannot be opened is said once; files are
 * then copied.
 */
static void rc_operand_link_dest(struct rc_tree *t, int dst_fd)
{
	const char *ld = t->o->link_dest;

	if (t->ld_fd >= 0)
		close(t->ld_fd);
	t->ld_fd = -1;
	if (!ld || dst_fd < 0)
		return;
	t->ld_fd = openat(dst_fd, ld, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t->ld_fd < 0 && !t->ld_said) {
		fprintf(stderr, "ringcp: --link-dest '%s': %s (files are "
			"copied)\n", ld, strerror(errno));
		t->ld_said = true;
	}
}

/* -v, -i: "./", DST of a "SRC/" operand, if made or changed */
static void rc_operand_item_root(struct rc_tree *t, struct rc_dir *holder)
{
	struct stat ds;
	char code[12];

	if (holder->fresh)
		return rc_tree_item(t, holder, "", "/", "cd+++++++++");
	if (holder->dst_fd < 0 || fstat(holder->dst_fd, &ds) < 0)
		return;
	rc_tree_item_code(t, code, '.', 'd', &holder->st, &ds);
	if (strcmp(code, ".d........."))
		rc_tree_item(t, holder, "", "/", code);
}

/* Make the destination directory if missing; its fd, or -errno. */
static int rc_dst_dir(struct rc_tree *t, const char *dst, bool *fresh)
{
	int fd;

	*fresh = false;
	if (!t->o->dry_run && mkdir(dst, 0700) == 0)
		*fresh = true;
	fd = rc_open_dir(dst);
	if (fd == -ENOENT && t->o->dry_run)
		*fresh = true;
	return fd;
}

int rc_tree_check_operand(struct rc_tree *t, const char *src,
			  const char *dst, bool dst_is_dir)
{
	size_t sl = strlen(src);
	bool slash = sl > 1 && src[sl - 1] == '/';
	char sdir[PATH_MAX];
	const char *sbase;
	struct stat st;
	int ret;

	/* cp follows symlinks (SRC and DST); rsync does not */
	bool follow = slash || t->o->cp;

	if ((follow ? stat(src, &st) : lstat(src, &st)) < 0)
		return 0;	/* reported when its turn comes */
	if (S_ISDIR(st.st_mode) && t->o->recursive) {
		char target[PATH_MAX + NAME_MAX + 2];

		rc_split(src, sdir, sizeof(sdir), &sbase);
		snprintf(target, sizeof(target), "%s%s%.*s", dst,
			 dst[strlen(dst) - 1] == '/' ? "" : "/",
			 (int)strcspn(sbase, "/"), sbase);
		ret = rc_check_overlap(src, slash ? dst : target);
		if (ret)
			return ret;
	}
	if (!S_ISDIR(st.st_mode)) {
		char target[PATH_MAX + NAME_MAX + 2];
		struct stat ts;

		rc_split(src, sdir, sizeof(sdir), &sbase);
		snprintf(target, sizeof(target), "%s%s%.*s", dst,
			 dst[strlen(dst) - 1] == '/' ? "" : "/",
			 (int)strcspn(sbase, "/"), sbase);
		if ((t->o->cp ? stat : lstat)(dst_is_dir ? target : dst,
					      &ts) == 0 &&
		    ts.st_dev == st.st_dev && ts.st_ino == st.st_ino) {
			fprintf(stderr, "ringcp: '%s' and '%s' are the same "
				"file\n", src, dst_is_dir ? target : dst);
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * Single-file mode (cp's rules): SRC a regular file, followed if a
 * symlink; DST a file name, or an existing directory to copy into.
 * Errors are printed and counted.
 */
static void rc_tree_operand_cp(struct rc_tree *t, const char *src,
			       const char *dst, bool dst_is_dir)
{
	char sdir[PATH_MAX], ddir[PATH_MAX];
	const char *sbase, *dbase;
	struct rc_dir *holder;
	struct stat st;
	int sfd, dfd;

	if (stat(src, &st) < 0)
		return rc_tree_err(t, -errno, "cannot open '%s'", src);
	if (S_ISDIR(st.st_mode))
		return rc_tree_err(t, -EISDIR, "cannot copy '%s'", src);
	if (!S_ISREG(st.st_mode))
		return rc_tree_err(t, 0, "cannot copy '%s': not a regular "
				   "file", src);
	if (!dst_is_dir && dst[strlen(dst) - 1] == '/')
		return rc_tree_err(t, -ENOTDIR, "cannot create '%s'", dst);
	rc_split(src, sdir, sizeof(sdir), &sbase);
	if (dst_is_dir) {
		snprintf(ddir, sizeof(ddir), "%s", dst);
		dbase = sbase;
	} else
		rc_split(dst, ddir, sizeof(ddir), &dbase);
	dfd = rc_open_dir(ddir);
	if (dfd < 0)
		return rc_tree_err(t, dfd, "cannot create '%s'",
				   rc_tree_path(ddir, dbase));
	sfd = rc_open_dir(sdir);
	if (sfd < 0) {
		close(dfd);
		return rc_tree_err(t, sfd, "cannot open directory '%s'",
				   sdir[0] ? sdir : ".");
	}
	holder = rc_dir_new(NULL, sfd, dfd, sdir, ddir, "");
	if (!holder) {
		close(sfd);
		close(dfd);
		return rc_tree_err(t, -ENOMEM, "cannot copy '%s'", src);
	}
	holder->apply_meta = false;
	rc_stage_clean_temps(t, holder, dbase);
	rc_dir_set_new_gid(t, holder);
	rc_dir_get(holder);
	rc_tree_entry(t, holder, sbase, dbase, DT_REG);
	rc_dir_put(t, holder);
}

int rc_tree_operand(struct rc_tree *t, const char *src, const char *dst,
		    bool dst_is_dir, struct rc_walk **wp)
{
	size_t sl = strlen(src);
	bool slash = sl > 1 && src[sl - 1] == '/';
	char sdir[PATH_MAX], ddir[PATH_MAX];
	const char *sbase, *dbase;
	struct rc_dir *holder;
	struct stat st;
	int sfd, dfd, ret;
	bool fresh;

	*wp = NULL;
	if (t->o->cp) {
		rc_tree_operand_cp(t, src, dst, dst_is_dir);
		return 0;
	}
	if ((slash ? stat(src, &st) : lstat(src, &st)) < 0) {
		ret = -errno;
		rc_tree_err(t, ret, "cannot stat '%s'", src);
		return 0;
	}
	t->xdev = st.st_dev;	/* -x: the operand's filesystem */
	if (S_ISDIR(st.st_mode) && slash && t->o->recursive) {
		/* "SRC/": SRC's contents into dst, SRC's metadata on dst */
		sfd = rc_open_dir(src);
		if (sfd < 0) {
			rc_tree_err(t, sfd, "cannot open directory '%s'", src);
			return 0;
		}
		dfd = rc_dst_dir(t, dst, &fresh);
		if (dfd < 0 && !(t->o->dry_run && fresh)) {
			close(sfd);
			rc_tree_err(t, dfd, "cannot create directory '%s'",
				    dst);
			return 0;
		}
		if (fresh)
			t->st->dirs++;
		rc_operand_link_dest(t, dfd);
		holder = rc_dir_new(NULL, sfd, dfd, src, dst, "");
		if (!holder) {
			close(sfd);
			if (dfd >= 0)
				close(dfd);
			return -ENOMEM;
		}
		holder->st = st;
		holder->fresh = fresh;
		rc_operand_item_root(t, holder);
		if (!fresh)
			rc_stage_clean_temps(t, holder, NULL);
		rc_dir_set_new_gid(t, holder);
		ret = rc_walk_new(t, holder, NULL, wp);
		if (ret)
			rc_dir_put(t, holder);
		return ret;
	}
	/* "SRC": the entry itself, into dst (a directory) or as dst */
	rc_split(src, sdir, sizeof(sdir), &sbase);
	if (dst_is_dir) {
		dfd = rc_dst_dir(t, dst, &fresh);
		snprintf(ddir, sizeof(ddir), "%s", dst);
		dbase = NULL;
		rc_operand_link_dest(t, dfd);
	} else {
		rc_split(dst, ddir, sizeof(ddir), &dbase);
		dfd = rc_open_dir(ddir);
		fresh = false;
	}
	if (dfd < 0 && !(t->o->dry_run && fresh)) {
		rc_tree_err(t, dfd, "cannot create '%s'", dst);
		return 0;
	}
	sfd = rc_open_dir(sdir);
	if (sfd < 0) {
		if (dfd >= 0)
			close(dfd);
		rc_tree_err(t, sfd, "cannot open directory '%s'",
			    sdir[0] ? sdir : ".");
		return 0;
	}
	holder = rc_dir_new(NULL, sfd, dfd, sdir, ddir, "");
	if (!holder) {
		close(sfd);
		if (dfd >= 0)
			close(dfd);
		return -ENOMEM;
	}
	holder->apply_meta = false;
	holder->fresh = fresh;
	if (!fresh)	/* only the leftovers of the one entry we copy */
		rc_stage_clean_temps(t, holder, dbase ? dbase : sbase);
	rc_dir_set_new_gid(t, holder);
	if (!S_ISDIR(st.st_mode) && !dst_is_dir) {
		/* a file copied to a new name: no walk */
		rc_dir_get(holder);
		rc_tree_entry(t, holder, sbase, dbase,
			      S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN);
		rc_dir_put(t, holder);
		return 0;
	}
	ret = rc_walk_new(t, holder, sbase, wp);
	if (ret)
		rc_dir_put(t, holder);
	return ret;
}


/*
 * One directory of a --files-from path: d/name, opened on both sides (the
 * destination made if missing), a node whose metadata is applied when
 * done.  NULL on an error (printed).
 */
static struct rc_dir *rc_rel_dir(struct rc_tree *t, struct rc_dir *d,
				 const char *name)
{
	char *sp = rc_path_join(d->src_path, name);
	char *dp = rc_path_join(d->dst_path, name);
	char *rel = rc_path_join(d->rel, name);
	struct rc_dir *nd = NULL;
	int sfd = -1, dfd = -1;
	bool fresh = false;
	struct stat st;

	if (!sp || !dp || !rel)
		goto out;
	sfd = openat(d->src_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		     O_CLOEXEC);
	if (sfd < 0 || fstat(sfd, &st) < 0) {
		rc_tree_err(t, -errno, "cannot open directory '%s'", sp);
		goto out;
	}
	if (!t->o->dry_run && d->dst_fd >= 0 &&
	    mkdirat(d->dst_fd, name, 0700) == 0) {
		fresh = true;
		t->st->dirs++;
		rc_tree_item(t, d, name, "/", "cd+++++++++");
	}
	dfd = d->dst_fd < 0 ? -1 : openat(d->dst_fd, name, O_RDONLY |
					  O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0 && !t->o->dry_run) {
		rc_tree_err(t, -errno, "cannot create directory '%s'", dp);
		goto out;
	}
	nd = rc_dir_new(d, sfd, dfd, sp, dp, rel);
	if (nd) {
		nd->st = st;
		nd->fresh = fresh;
		rc_dir_set_new_gid(t, nd);
		sfd = dfd = -1;
	}
out:
	if (sfd >= 0)
		close(sfd);
	if (dfd >= 0)
		close(dfd);
	free(sp);
	free(dp);
	free(rel);
	return nd;
}

int rc_tree_operand_rel(struct rc_tree *t, const char *base, const char *rel,
			const char *dst, struct rc_walk **wp)
{
	char buf[PATH_MAX], *name, *slash;
	struct rc_dir *d, *nd;
	struct stat st;
	bool fresh;
	int sfd, dfd, ret = 0;

	*wp = NULL;
	snprintf(buf, sizeof(buf), "%s", rel);
	sfd = rc_open_dir(base);
	if (sfd < 0) {
		rc_tree_err(t, sfd, "cannot open directory '%s'", base);
		return 0;
	}
	dfd = rc_dst_dir(t, dst, &fresh);
	if (dfd < 0 && !(t->o->dry_run && fresh)) {
		close(sfd);
		rc_tree_err(t, dfd, "cannot create directory '%s'", dst);
		return 0;
	}
	d = rc_dir_new(NULL, sfd, dfd, base, dst, "");
	if (!d) {
		close(sfd);
		if (dfd >= 0)
			close(dfd);
		return -ENOMEM;
	}
	/* DST gets base's metadata (rsync's implied "." directory) */
	if (fstat(sfd, &d->st) < 0)
		d->apply_meta = false;
	d->fresh = fresh;
	rc_dir_set_new_gid(t, d);
	/* the implied directories: each node holds its parent */
	for (name = buf; (slash = strchr(name, '/')); name = slash + 1) {
		*slash = '\0';
		nd = rc_rel_dir(t, d, name);
		rc_dir_put(t, d);
		if (!nd)
			return 0;
		d = nd;
	}
	if (fstatat(d->src_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		rc_tree_err(t, -errno, "cannot stat '%s'",
			    rc_tree_path(d->src_path, name));
		rc_dir_put(t, d);
		return 0;
	}
	if (S_ISDIR(st.st_mode) && !t->o->recursive) {
		/* a directory named, without -r: made, not filled */
		nd = rc_rel_dir(t, d, name);
		if (nd)
			rc_dir_put(t, nd);
		rc_dir_put(t, d);
		return 0;
	}
	if (!S_ISDIR(st.st_mode)) {
		rc_dir_get(d);
		rc_tree_entry(t, d, name, name, S_ISREG(st.st_mode) ? DT_REG :
			      DT_UNKNOWN);
		rc_dir_put(t, d);
		return 0;
	}
	ret = rc_walk_new(t, d, name, wp);
	if (ret)
		rc_dir_put(t, d);
	return ret;
}

bool rc_tree_dst_is_dir(const struct rc_tree_src *srcs, unsigned n,
			const char *dst, const struct rc_tree_opts *o)
{
	size_t dl = strlen(dst), sl;
	struct stat st;

	if (n && srcs[0].base)	/* --files-from */
		return true;
	if (o->cp)	/* cp: only an existing directory, and not with -T */
		return !o->no_target_dir && stat(dst, &st) == 0 &&
		       S_ISDIR(st.st_mode);
	if ((stat(dst, &st) == 0 && S_ISDIR(st.st_mode)) ||
	    dst[dl - 1] == '/' || n > 1)
		return true;
	if (n != 1 || !o->recursive)
		return false;
	sl = strlen(srcs[0].path);
	if (stat(srcs[0].path, &st) == 0 && S_ISDIR(st.st_mode) &&
	    sl > 1 && srcs[0].path[sl - 1] == '/')
		return true;
	return lstat(srcs[0].path, &st) == 0 && S_ISDIR(st.st_mode);
}
