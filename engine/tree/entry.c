/* SPDX-License-Identifier: MIT */
/*
 * One entry the walk listed (or a file operand): skipped if up to date
 * (rsync's quick check), listed in a dry run, given a job if it is a
 * regular file, made at once if it is any other kind.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tree_int.h"

/* -c: do the two files hold the same bytes?  (false on any error) */
static bool rc_same_content(int src_dir, const char *name, int dst_dir,
			    const char *dst_name)
{
	enum { BS = 256 * 1024 };
	int a = openat(src_dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
		       O_CLOEXEC);
	int b = openat(dst_dir, dst_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
		       O_CLOEXEC);
	char *ba = malloc(BS), *bb = malloc(BS);
	bool same = a >= 0 && b >= 0 && ba && bb;
	ssize_t na, nb;

	while (same) {
		na = read(a, ba, BS);
		nb = na > 0 ? read(b, bb, (size_t)na) : read(b, bb, 1);
		same = na >= 0 && na == nb && !memcmp(ba, bb, (size_t)na);
		if (na <= 0)
			break;
	}
	free(ba);
	free(bb);
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
	return same;
}

static bool rc_newer(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec ||
	       (a->tv_sec == b->tv_sec && a->tv_nsec > b->tv_nsec);
}

/*
 * rsync's reasons to leave an existing DST file alone: --ignore-existing;
 * -u and DST newer; the quick check (with -t: the same size and mtime), or
 * with -c the same size and content (and with -t the same mtime: else
 * rsync sets the time, here the file is copied again to the same end).
 */
static bool rc_up_to_date(struct rc_tree *t, struct rc_dir *d,
			  const char *name, const char *dst_name)
{
	const struct rc_tree_opts *o = t->o;
	struct stat s, ds;
	bool same_time;

	if (d->fresh || d->dst_fd < 0 || o->cp ||
	    (!o->times && !o->checksum && !o->update && !o->ignore_existing) ||
	    fstatat(d->dst_fd, dst_name, &ds, AT_SYMLINK_NOFOLLOW) < 0)
		return false;
	if (o->ignore_existing)
		return true;
	if (!S_ISREG(ds.st_mode) ||
	    fstatat(d->src_fd, name, &s, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISREG(s.st_mode))
		return false;
	if (o->update && rc_newer(&ds.st_mtim, &s.st_mtim))
		return true;
	same_time = s.st_mtim.tv_sec == ds.st_mtim.tv_sec &&
		    s.st_mtim.tv_nsec == ds.st_mtim.tv_nsec;
	if (s.st_size != ds.st_size || (o->times && !same_time) ||
	    (!o->times && !o->checksum) ||
	    (o->checksum && !rc_same_content(d->src_fd, name, d->dst_fd,
					     dst_name)))
		return false;
	/* later names of its hard-link group link to this copy */
	if (o->hard_links && s.st_nlink > 1)
		rc_hlink_seen(t, s.st_dev, s.st_ino, (unsigned)s.st_nlink, d,
			      dst_name);
	return true;
}

/* A regular file listed: start its job (or list it, in a dry run). */
/* -v, -i: the line of a file about to be copied (rsync's order: now) */
static void rc_tree_file_item(struct rc_tree *t, struct rc_dir *d,
			      const char *name, const char *dst_name,
			      struct stat *s)
{
	struct stat ds;
	bool old;
	char code[12];

	bool say = !t->o->quiet && (t->o->verbose || t->o->itemize);

	/* (no system call per file when there is nothing to say) */
	memset(s, 0, sizeof(*s));
	if ((!say && !t->o->dry_run) ||
	    fstatat(d->src_fd, name, s, AT_SYMLINK_NOFOLLOW) < 0 || !say)
		return;
	old = !d->fresh && d->dst_fd >= 0 &&
	      fstatat(d->dst_fd, dst_name, &ds, AT_SYMLINK_NOFOLLOW) == 0 &&
	      S_ISREG(ds.st_mode);
	rc_tree_item_code(t, code, '>', 'f', s, old ? &ds : NULL);
	if (old && t->o->checksum)
		code[2] = 'c';	/* -c found other bytes (or times) */
	rc_tree_item(t, d, dst_name, "", code);
}

static void rc_tree_file(struct rc_tree *t, struct rc_dir *d,
			 const char *name, const char *dst_name)
{
	struct stat s;

	if (rc_up_to_date(t, d, name, dst_name)) {
		t->st->skipped++;
		rc_dir_put(t, d);
		return;
	}
	if (t->o->link_dest && rc_link_dest(t, d, name, dst_name, NULL)) {
		rc_dir_put(t, d);	/* counted as a hard link */
		return;
	}
	if (!t->o->cp)
		rc_tree_file_item(t, d, name, dst_name, &s);
	if (t->o->dry_run) {
		t->st->bytes += (uint64_t)s.st_size;
		t->st->files++;
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

