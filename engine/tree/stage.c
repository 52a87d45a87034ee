/* SPDX-License-Identifier: MIT */
/*
 * Staging: a directory new to the destination is made under a temporary
 * name (".<name>.ringcp-XXXXXXXX") and renamed to its final name when its
 * reference count drops to zero, after its contents and its metadata.
 * Nothing below it is visible before, so its files and subdirectories go
 * in under their final names: no O_TMPFILE and linkat per file, whose
 * orphan-list and extra directory work cost ext4 about a quarter more
 * system time than a plain create (docs/tree-copy.md).  A run that stops
 * (signal, error) still renames what it staged: each file in it is
 * complete, a failed one is removed.  After SIGKILL the staging directory
 * stays; the next run takes it up for the same entry (rc_prune_adopted:
 * first everything in it that the quick check does not show complete
 * goes) or removes it.  A staging directory is flock()ed while filled:
 * another ringcp's is left alone.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tree_int.h"

/*
 * Remove dir_fd/name and everything under it: a staging directory of an
 * interrupted run, so ours (made writable first, as its mode may already
 * be the source's).  Returns 0 or -errno.
 */
int rc_remove_tree(int dir_fd, const char *name)
{
	char *buf = NULL;
	bool removed = true;
	long n, pos;
	int fd, ret = 0;

	fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
	if (fd < 0 && errno == EACCES && fchmodat(dir_fd, name, 0700, 0) == 0)
		fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return unlinkat(dir_fd, name, 0) < 0 ? -errno : 0;
	fchmod(fd, 0700);
	buf = malloc(RC_DENTS_BUF);
	if (!buf)
		ret = -ENOMEM;
	/* removing entries while listing may skip some: list again until
	 * a pass removes nothing */
	while (buf && removed) {
		removed = false;
		lseek(fd, 0, SEEK_SET);
		while ((n = syscall(SYS_getdents64, fd, buf, RC_DENTS_BUF)) > 0)
			for (pos = 0; pos < n;) {
				struct rc_dirent64 *de = (void *)(buf + pos);
				const char *nm = de->d_name;
				int r;

				pos += de->d_reclen;
				if (rc_dot_or_dotdot(nm))
					continue;
				r = de->d_type == DT_DIR ? rc_remove_tree(fd, nm) :
				    unlinkat(fd, nm, 0) < 0 ? -errno : 0;
				if (r == -EISDIR)
					r = rc_remove_tree(fd, nm);
				if (!r)
					removed = true;
				else if (!ret)
					ret = r;
			}
	}
	free(buf);
	close(fd);
	if (unlinkat(dir_fd, name, AT_REMOVEDIR) < 0 && !ret)
		ret = -errno;
	return ret;
}

/*
 * Is dir_fd/name a staging dir another ringcp is filling now?  A staging
 * dir is flock()ed while its fd is open (the lock goes with the process,
 * even on SIGKILL), so one left by an interrupted run is not.
 */
static bool rc_stage_busy(int dir_fd, const char *name)
{
	int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			O_CLOEXEC);
	bool busy;

	if (fd < 0)
		return false;
	busy = flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return busy;
}

/* Is name a staging root of this run (not an interrupted one's)? */
static bool rc_dir_stage_live(const struct rc_tree *t, const char *name)
{
	const struct rc_dir *d;

	for (d = t->stages; d; d = d->stage_next)
		if (!strcmp(d->stage_tmp, name))
			return true;
	return false;
}

static void rc_dir_forget_stage(struct rc_tree *t, struct rc_dir *d)
{
	struct rc_dir **p;

	for (p = &t->stages; *p; p = &(*p)->stage_next)
		if (*p == d) {
			*p = d->stage_next;
			break;
		}
}

/*
 * Another ringcp copying into the same DST put a directory at the final
 * name first: move what is in ours (from_fd) into it (to_fd), merging the
 * directories both have; a file both have is replaced by ours (both are
 * complete copies); with times, a directory merged into gets ours
 * again (its new entries changed them).  Returns 0 or -errno.
 */
static int rc_stage_merge(int from_fd, int to_fd, bool times)
{
	char **names;
	size_t n, i;
	int ret = rc_list_names(from_fd, &names, &n), r;

	for (i = 0; !ret && i < n; i++) {
		struct stat a, b;
		int f, g;

		r = renameat2(from_fd, names[i], to_fd, names[i],
			      RENAME_NOREPLACE) < 0 ? -errno : 0;
		if (r == -EEXIST &&
		    fstatat(from_fd, names[i], &a, AT_SYMLINK_NOFOLLOW) == 0 &&
		    fstatat(to_fd, names[i], &b, AT_SYMLINK_NOFOLLOW) == 0) {
			if (S_ISDIR(a.st_mode) && S_ISDIR(b.st_mode)) {
				f = openat(from_fd, names[i], O_RDONLY |
					   O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				g = openat(to_fd, names[i], O_RDONLY |
					   O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				r = f < 0 || g < 0 ? -errno :
				    rc_stage_merge(f, g, times);
				if (!r && times) {
					struct timespec ts[2] = { a.st_atim,
								  a.st_mtim };

					r = futimens(g, ts) < 0 ? -errno : 0;
				}
				if (f >= 0)
					close(f);
				if (g >= 0)
					close(g);
				if (!r && unlinkat(from_fd, names[i],
						   AT_REMOVEDIR) < 0)
					r = -errno;
			} else if (!S_ISDIR(a.st_mode)) {
				r = renameat(from_fd, names[i], to_fd,
					     names[i]) < 0 ? -errno : 0;
			}
		}
		ret = r;
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return ret;
}

/*
 * d's final name was taken meanwhile by another run's directory: merge
 * into it, give it d's metadata again (its entries changed its times),
 * and remove the staging directory.  Returns 0 or -errno.
 */
static int rc_dir_unstage_merge(struct rc_tree *t, struct rc_dir *d, int pfd)
{
	const char *what;
	int fd, ret;

	fd = openat(pfd, d->stage_final, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = rc_stage_merge(d->dst_fd, fd, t->o->times);
	if (!ret && unlinkat(pfd, d->stage_tmp, AT_REMOVEDIR) < 0)
		ret = -errno;
	if (!ret && d->apply_meta)
		ret = rc_meta_apply_fd(t, d->src_fd, fd, &d->st, NULL, true,
				       &what);
	close(fd);
	return ret;
}

/*
 * d, a staging root, is done: give it its final name, never over one.
 * Where renameat2 has no RENAME_NOREPLACE (NFS, FUSE), an empty directory
 * made under the final name claims it and is renamed over (allowed for an
 * empty directory, and atomic).
 */
static void rc_dir_unstage(struct rc_tree *t, struct rc_dir *d,
			   struct rc_dir *parent)
{
	int pfd = parent->dst_fd, ret = 0;

	if (renameat2(pfd, d->stage_tmp, pfd, d->stage_final,
		      RENAME_NOREPLACE) < 0) {
		ret = -errno;
		if (ret == -EINVAL && mkdirat(pfd, d->stage_final, 0700) == 0) {
			ret = renameat(pfd, d->stage_tmp, pfd,
				       d->stage_final) < 0 ? -errno : 0;
			if (ret)
				unlinkat(pfd, d->stage_final, AT_REMOVEDIR);
		} else if (ret == -EINVAL)
			ret = -errno;
	}
	if (ret == -EEXIST || ret == -ENOTEMPTY)	/* another run's */
		ret = rc_dir_unstage_merge(t, d, pfd);
	if (ret)
		rc_tree_err(t, ret, "cannot rename '%s' to '%s' (left there: "
			    "a rerun completes the copy)",
			    rc_tree_path(parent->dst_path, d->stage_tmp),
			    d->dst_path);
}

/* The staging dirs of interrupted runs no entry took up: removed (kept
 * when this run is stopping, for the next to take up; never one this run
 * or another one is filling). */
void rc_stage_drop_leftovers(struct rc_tree *t, struct rc_dir *d)
{
	size_t i;
	int ret;

	for (i = 0; i < d->nleftovers; i++) {
		if (!t->stopping && d->dst_fd >= 0 &&
		    !rc_dir_stage_live(t, d->leftovers[i]) &&
		    !rc_stage_busy(d->dst_fd, d->leftovers[i])) {
			ret = rc_remove_tree(d->dst_fd, d->leftovers[i]);
			/* -ENOENT: taken up by another operand, renamed */
			if (ret && ret != -ENOENT)
				rc_tree_err(t, ret, "cannot remove leftover "
					    "'%s'", rc_tree_path(d->dst_path,
							d->leftovers[i]));
			else if (t->o->verbose > 1)
				printf("removed leftover '%s'\n",
				       rc_tree_path(d->dst_path,
						    d->leftovers[i]));
		}
		free(d->leftovers[i]);
	}
	d->nleftovers = 0;
}

void rc_stage_finish(struct rc_tree *t, struct rc_dir *d,
		     struct rc_dir *parent)
{
	if (!d->stage_tmp)
		return;
	if (parent && parent->dst_fd >= 0)
		rc_dir_unstage(t, d, parent);
	rc_dir_forget_stage(t, d);
}

/* The staging dir an interrupted run left in d for name, taken off d's
 * list (the caller frees it); NULL if none.  Temporary names keep
 * RC_TEMP_BASE_MAX bytes of the base: a longer name takes up nothing. */
static char *rc_dir_take_leftover(struct rc_dir *d, const char *name)
{
	size_t i;

	if (strlen(name) > RC_TEMP_BASE_MAX)
		return NULL;
	for (i = 0; i < d->nleftovers; i++)
		if (rc_is_temp_name(d->leftovers[i], name)) {
			char *tmp = d->leftovers[i];

			d->leftovers[i] = d->leftovers[--d->nleftovers];
			return tmp;
		}
	return NULL;
}

/* The names in dir_fd ("." and ".." aside) into *namesp, *n of them.
 * Returns 0 or -errno (nothing returned then). */
int rc_list_names(int dir_fd, char ***namesp, size_t *n)
{
	char *buf = malloc(RC_DENTS_BUF), **names = NULL, **g;
	int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	long len = 0, pos;
	int ret = fd < 0 ? -errno : buf ? 0 : -ENOMEM;

	*n = 0;
	while (!ret && (len = syscall(SYS_getdents64, fd, buf,
				      RC_DENTS_BUF)) > 0)
		for (pos = 0; !ret && pos < len;) {
			struct rc_dirent64 *de = (void *)(buf + pos);
			const char *nm = de->d_name;

			pos += de->d_reclen;
			if (rc_dot_or_dotdot(nm))
				continue;
			g = realloc(names, (*n + 1) * sizeof(*names));
			if (g)
				names = g;
			if (!g || !(names[*n] = strdup(nm)))
				ret = -ENOMEM;
			else
				(*n)++;
		}
	if (!ret && len < 0)
		ret = -errno;
	if (ret) {
		while (*n)
			free(names[--*n]);
		free(names);
		names = NULL;
	}
	free(buf);
	if (fd >= 0)
		close(fd);
	*namesp = names;
	return ret;
}

/*
 * dst_fd is (in) a staging dir an interrupted run left, taken up: make it
 * hold only what is complete, so that it may be renamed into place
 * whatever comes next (a redo that fails, a signal, an error in the walk).
 * Removed: what the source no longer has or has as another type, what is
 * named like our temporaries, and each regular file the quick check does
 * not pass (size and mtime; times are set last, so a file cut short fails
 * it; without -t every one); then the same in each subdirectory, made
 * writable by us first (its mode is set again when it is done).  Returns
 * 0, or -errno if something may be left (message printed).
 */
static int rc_prune_adopted(struct rc_tree *t, int src_fd, int dst_fd,
			    const char *dst_path)
{
	char **names;
	size_t n, i;
	int ret, err = rc_list_names(dst_fd, &names, &n);

	if (err)
		rc_tree_err(t, err, "cannot read directory '%s'", dst_path);
	for (i = 0; i < n; i++) {
		const char *nm = names[i];
		struct stat s, ds;
		bool drop;

		if (fstatat(dst_fd, nm, &ds, AT_SYMLINK_NOFOLLOW) < 0)
			goto next;
		drop = rc_is_temp_name(nm, NULL) ||
		       fstatat(src_fd, nm, &s, AT_SYMLINK_NOFOLLOW) < 0 ||
		       (s.st_mode & S_IFMT) != (ds.st_mode & S_IFMT) ||
		       (S_ISREG(ds.st_mode) &&
			(!t->o->times || s.st_size != ds.st_size ||
			 s.st_mtim.tv_sec != ds.st_mtim.tv_sec ||
			 s.st_mtim.tv_nsec != ds.st_mtim.tv_nsec));
		if (!drop && S_ISDIR(ds.st_mode)) {
			int sfd = openat(src_fd, nm, O_RDONLY | O_DIRECTORY |
					 O_NOFOLLOW | O_CLOEXEC);
			int dfd;
			char *path = rc_path_join(dst_path, nm);

			fchmodat(dst_fd, nm, 0700, 0);
			dfd = openat(dst_fd, nm, O_RDONLY | O_DIRECTORY |
				     O_NOFOLLOW | O_CLOEXEC);
			/* what cannot be looked through goes whole */
			drop = sfd < 0 || dfd < 0 || !path ||
			       rc_prune_adopted(t, sfd, dfd, path);
			free(path);
			if (sfd >= 0)
				close(sfd);
			if (dfd >= 0)
				close(dfd);
		}
		if (drop) {
			ret = rc_remove_tree(dst_fd, nm);
			if (ret) {
				rc_tree_err(t, ret, "cannot remove leftover "
					    "'%s'", rc_tree_path(dst_path, nm));
				err = err ? err : ret;
			} else if (t->o->verbose > 1)
				printf("removed leftover '%s'\n",
				       rc_tree_path(dst_path, nm));
		}
next:
		free(names[i]);
	}
	free(names);
	return err;
}

/*
 * Make d/name in the destination as a staging directory: under a new
 * temporary name, or the one an interrupted run left (*adopted).  Returns
 * its fd, flock()ed (rc_stage_busy), with *tmp set (the caller frees
 * it), or -errno.
 */
static int rc_dir_stage(struct rc_dir *d, const char *name, char **tmp,
			bool *adopted)
{
	char buf[NAME_MAX + 1];
	int tries, fd = -1;

	*tmp = rc_dir_take_leftover(d, name);
	*adopted = *tmp != NULL;
	if (*tmp) {
		fd = openat(d->dst_fd, *tmp, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
			/* another ringcp's, or gone: make our own */
			if (fd >= 0)
				close(fd);
			free(*tmp);
			*tmp = NULL;
			*adopted = false;
		} else {
			/* its mode may be the source's already */
			fchmod(fd, 0700);
			return fd;
		}
	}
	for (tries = 0; !*tmp && tries < 100; tries++) {
		int ret = rc_temp_name(name, buf, sizeof(buf));

		if (ret)
			return ret;
		if (mkdirat(d->dst_fd, buf, 0700) < 0) {
			if (errno != EEXIST)
				return -errno;
			continue;
		}
		fd = openat(d->dst_fd, buf, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			ret = -errno;
			unlinkat(d->dst_fd, buf, AT_REMOVEDIR);
			return ret;
		}
		/*
		 * Between the mkdir and the lock another ringcp filling the
		 * same DST may have taken it up as an interrupted run's (it
		 * was not locked yet): whoever holds the lock owns it, so
		 * lose it and make another.
		 */
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			close(fd);
			continue;
		}
		*tmp = strdup(buf);
		if (!*tmp) {
			close(fd);
			unlinkat(d->dst_fd, buf, AT_REMOVEDIR);
			return -ENOMEM;
		}
		return fd;
	}
	return -EEXIST;
}

/*
 * The staging root this run has made for d/name, under another node of
 * the same destination directory (another SRC operand), or NULL: entries
 * of several operands merge into one directory, as in rsync.
 */
static struct rc_dir *rc_dir_live_stage(struct rc_tree *t, struct rc_dir *d,
					const char *name)
{
	struct rc_dir *r;
	struct stat st;

	if (!t->stages || fstat(d->dst_fd, &st) < 0)
		return NULL;
	for (r = t->stages; r; r = r->stage_next)
		if (r->stage_pdev == st.st_dev && r->stage_pino == st.st_ino &&
		    !strcmp(r->stage_final, name))
			return r;
	return NULL;
}

int rc_stage_open(struct rc_tree *t, struct rc_dir *d, const char *name,
		  int src_fd, const char *dst_path, struct rc_stage *st)
{
	memset(st, 0, sizeof(*st));
	st->hold = rc_dir_live_stage(t, d, name);
	if (st->hold) {
		/* another operand's, still being filled: into it */
		st->dst_fd = openat(d->dst_fd, st->hold->stage_tmp, O_RDONLY |
				    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (st->dst_fd >= 0)
			return 0;
		rc_tree_err(t, -errno, "cannot open directory '%s'", dst_path);
		st->hold = NULL;
		return -1;
	}
	st->dst_fd = rc_dir_stage(d, name, &st->tmp, &st->adopted);
	st->final = strdup(name);
	if (st->dst_fd < 0 || !st->final) {
		rc_tree_err(t, st->dst_fd < 0 ? st->dst_fd : -ENOMEM,
			    "cannot create directory '%s'", dst_path);
		goto fail;
	}
	/* not all known complete: never renamed into view, kept */
	if (st->adopted && rc_prune_adopted(t, src_fd, st->dst_fd, dst_path))
		goto fail;
	return 0;
fail:
	if (st->tmp && !st->adopted && st->dst_fd >= 0)
		unlinkat(d->dst_fd, st->tmp, AT_REMOVEDIR);
	if (st->dst_fd >= 0)
		close(st->dst_fd);
	free(st->tmp);
	free(st->final);
	memset(st, 0, sizeof(*st));
	return -1;
}

void rc_stage_add(struct rc_tree *t, struct rc_dir *nd, struct rc_dir *parent)
{
	struct stat pst;

	if (fstat(parent->dst_fd, &pst) == 0) {
		nd->stage_pdev = pst.st_dev;
		nd->stage_pino = pst.st_ino;
	}
	nd->stage_next = t->stages;
	t->stages = nd;
}

void rc_stage_clean_temps(struct rc_tree *t, struct rc_dir *d,
			  const char *base)
{
	char *buf;
	long n, pos;
	int fd;

	if (t->o->dry_run || d->dst_fd < 0)
		return;
	/* our own descriptor: the walk must not share its offset */
	fd = openat(d->dst_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	buf = fd < 0 ? NULL : malloc(RC_DENTS_BUF);
	while (buf && (n = syscall(SYS_getdents64, fd, buf, RC_DENTS_BUF)) > 0)
		for (pos = 0; pos < n;) {
			struct rc_dirent64 *de = (void *)(buf + pos);
			char **l;

			pos += de->d_reclen;
			unsigned char type = de->d_type;
			struct stat st;

			if (!rc_is_temp_name(de->d_name, base) ||
			    rc_dir_stage_live(t, de->d_name))
				continue;
			if (type == DT_UNKNOWN &&
			    fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
				type = (unsigned char)IFTODT(st.st_mode);
			if (type != DT_DIR) {
				if (unlinkat(fd, de->d_name, 0) == 0 &&
				    t->o->verbose > 1)
					printf("removed leftover '%s'\n",
					       rc_tree_path(d->dst_path,
							    de->d_name));
				continue;
			}
			l = realloc(d->leftovers, (d->nleftovers + 1) *
				    sizeof(*l));
			if (!l)
				break;
			d->leftovers = l;
			l[d->nleftovers] = strdup(de->d_name);
			if (l[d->nleftovers])
				d->nleftovers++;
		}
	free(buf);
	if (fd >= 0)
		close(fd);
}

